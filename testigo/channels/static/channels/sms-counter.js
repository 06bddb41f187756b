// Live SMS part counter for reply boxes; the server shows the same count when the form is re-shown.
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXT = "\f^{}\\[~]|€";
  function count(text) {
    var gsm = true, septets = 0, units = 0, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (EXT.indexOf(ch) >= 0) { septets += 2; } else if (BASIC.indexOf(ch) >= 0) { septets += 1; } else { gsm = false; }
    }
    units = gsm ? septets : text.length;
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var parts = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return { parts: parts, encoding: gsm ? "GSM-7" : "UCS-2", units: units };
  }
  document.querySelectorAll("textarea[data-sms-counter]").forEach(function (box) {
    var out = document.getElementById(box.getAttribute("data-sms-counter"));
    if (!out) { return; }
    var update = function () {
      var c = count(box.value);
      out.textContent = c.parts + " SMS · " + c.encoding + " · " + c.units;
    };
    box.addEventListener("input", update);
    update();
  });
})();
