/* Tip line: the proof of work for a first tip (testigo/tipline/proofofwork.py).
 *
 * When the source presses "send", fetch a fresh challenge from this server; if the current load
 * asks for work (bits > 0), find a decimal answer such that SHA-256(challenge + ":" + answer)
 * starts with `bits` zero bits, then send the form with both. Without this script (JavaScript
 * off) the form is sent as it is, which the server accepts whenever there is no flood.
 *
 * No dependencies, nothing from another origin, no inline code (CSP script-src 'self').
 * SHA-256 below follows FIPS 180-4 and works on ASCII strings (challenges are ASCII).
 */
(function (root) {
  "use strict";

  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Int32Array(64);

  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

  // The eight 32-bit words of SHA-256(text), text being ASCII.
  function sha256Words(text) {
    var length = text.length, blocks = ((length + 8) >> 6) + 1, words = new Int32Array(blocks * 16), i;
    for (i = 0; i < length; i++) { words[i >> 2] |= text.charCodeAt(i) << (24 - (i % 4) * 8); }
    words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    words[blocks * 16 - 1] = length * 8;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a,
        h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var block = 0; block < blocks; block++) {
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7, t;
      for (t = 0; t < 64; t++) {
        if (t < 16) {
          W[t] = words[block * 16 + t];
        } else {
          var w15 = W[t - 15], w2 = W[t - 2];
          W[t] = (W[t - 16] + (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3)) + W[t - 7]
                  + (rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10))) | 0;
        }
        var t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return [h0, h1, h2, h3, h4, h5, h6, h7];
  }

  function sha256Hex(text) {
    return sha256Words(text).map(function (w) { return ("00000000" + (w >>> 0).toString(16)).slice(-8); }).join("");
  }

  function leadingZeroBits(words) {
    var bits = 0;
    for (var i = 0; i < words.length; i++) {
      if (words[i] === 0) { bits += 32; continue; }
      return bits + Math.clz32(words[i]);
    }
    return bits;
  }

  // Find the answer in slices of work, yielding between them so the page stays responsive.
  function solve(challenge, bits, done) {
    var prefix = challenge + ":", answer = 0;
    function slice() {
      for (var end = answer + 20000; answer < end; answer++) {
        if (leadingZeroBits(sha256Words(prefix + answer)) >= bits) { done(String(answer)); return; }
      }
      setTimeout(slice, 0);
    }
    slice();
  }

  root.TestigoWork = { sha256Hex: sha256Hex, solve: solve, leadingZeroBits: leadingZeroBits };
  if (typeof document === "undefined") { return; }

  var form = document.querySelector("form[data-work-url]");
  if (!form) { return; }
  var status = document.getElementById("work-status"), busy = false;

  function send(challenge, answer) {
    form.elements.work_challenge.value = challenge;
    form.elements.work_answer.value = answer;
    form.submit();  // does not fire "submit" again
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    busy = true;
    fetch(form.getAttribute("data-work-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (issued) {
        if (!issued.bits) { send("", ""); return; }
        if (status) { status.hidden = false; }
        solve(issued.challenge, issued.bits, function (answer) { send(issued.challenge, answer); });
      })
      .catch(function () { send("", ""); });  // as without JavaScript: the server decides
  });
})(typeof window !== "undefined" ? window : globalThis);
