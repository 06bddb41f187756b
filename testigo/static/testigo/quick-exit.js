/* Quick exit (docs/help-services.md): someone reading this site may be watched by the person they
   are reporting. One click on the "Quick exit" link, or Esc pressed twice within a second, replaces
   this page with a neutral one. location.replace() takes this page out of the tab's back history
   (a plain link, which is what works without JavaScript, would leave it there), and what this site
   keeps in the browser's storage for this tab is cleared first. */
(function () {
  "use strict";
  var DOUBLE_ESC_MS = 1000;  // two presses within a second: one stray Esc closes a menu, not the page
  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  var hint = document.querySelector(".quick-exit-hint");
  if (hint) { hint.hidden = false; }

  function leave(event) {
    if (event) { event.preventDefault(); }
    try { window.sessionStorage.clear(); } catch (e) { /* storage blocked: nothing to clear */ }
    try { window.localStorage.clear(); } catch (e) { /* idem */ }
    document.body.hidden = true;  // hide what is on screen at once, before the next page loads
    document.title = "";
    window.location.replace(link.href);
  }

  link.addEventListener("click", leave);
  var lastEsc = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var now = Date.now();
    if (now - lastEsc <= DOUBLE_ESC_MS) { leave(event); } else { lastEsc = now; }
  }, true);
}());
