/* Optional niceties for the staff console; everything works without this file.
   - Inbox: j / k move the selection, x ticks it, Enter (or o) opens it, / focuses the search box.
   - Buttons with data-confirm ask before submitting.
   - Report page: a small Leaflet map of the exact location when Leaflet is loaded. */
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(el.tagName));
  }

  function inboxKeys() {
    var table = document.querySelector("[data-inbox]");
    if (!table) return;
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]"));
    var index = -1;
    function select(i) {
      if (!rows.length) return;
      if (index >= 0) rows[index].classList.remove("selected");
      index = Math.max(0, Math.min(rows.length - 1, i));
      rows[index].classList.add("selected");
      rows[index].scrollIntoView({ block: "nearest" });
      var link = rows[index].querySelector("a");
      if (link) link.focus({ preventScroll: true });
    }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "/" && !typing(event)) {
        var search = document.querySelector(".filters input[type=search]");
        if (search) { event.preventDefault(); search.focus(); }
        return;
      }
      if (typing(event)) return;
      if (event.key === "j") { select(index + 1); }
      else if (event.key === "k") { select(index - 1); }
      else if (event.key === "x" && index >= 0) {
        var box = rows[index].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
      }
      else if ((event.key === "Enter" || event.key === "o") && index >= 0 &&
               (event.target === document.body || rows[index].contains(event.target))) {
        event.preventDefault();
        window.location.href = rows[index].getAttribute("data-href");
      }
    });
  }

  function confirmations() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
      if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  }

  function reportMap() {
    var el = document.getElementById("report-map");
    if (!el || typeof window.L === "undefined") return;
    var lat = parseFloat(el.getAttribute("data-lat"));
    var lon = parseFloat(el.getAttribute("data-lon"));
    if (isNaN(lat) || isNaN(lon)) return;
    var map = window.L.map(el, { scrollWheelZoom: false }).setView([lat, lon], 15);
    if (window.TestigoBasemap) {
      window.TestigoBasemap.add(map); // the site's basemaps, with the outline map when tiles fail
    } else if (el.getAttribute("data-tile-url")) {
      window.L.tileLayer(el.getAttribute("data-tile-url"), {
        attribution: el.getAttribute("data-attribution"), maxZoom: 19
      }).addTo(map);
    }
    window.L.circleMarker([lat, lon], { radius: 8, weight: 2 }).addTo(map);
  }

  document.addEventListener("DOMContentLoaded", function () {
    inboxKeys();
    confirmations();
    reportMap();
  });
})();
