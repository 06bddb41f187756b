/* "Embed this map": a button that copies the <iframe> code (the textarea works without it). */
(function () {
  "use strict";
  var button = document.getElementById("embed-copy"), code = document.getElementById("embed-code");
  var said = document.getElementById("embed-copied");
  if (!button || !code) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    code.select();
    var done = function () { said.textContent = button.dataset.done; };
    if (navigator.clipboard) navigator.clipboard.writeText(code.value).then(done, function () { document.execCommand("copy"); done(); });
    else { document.execCommand("copy"); done(); }
  });
})();
