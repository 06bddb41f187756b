/* Optional niceties for the staff console; everything works without this file.
   - Inbox: j / k move the selection, x ticks it, Enter (or o) opens it, / focuses the search box.
   - Buttons with data-confirm ask before submitting.
   - Report page: a small Leaflet map of the exact location when Leaflet is loaded; L accepts the
     first place the text suggests; the editor's place search fills latitude, longitude and precision. */
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

  function placeSuggestionKey() {
    var button = document.getElementById("place-accept");
    if (!button) return;
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
      if (event.key === "l" || event.key === "L") { event.preventDefault(); button.form.submit(); }
    });
  }

  function placeSearch() {
    var box = document.querySelector(".place-search");
    if (!box || !window.fetch) return;
    var input = box.querySelector("input"), list = box.querySelector("ul"), timer = null;
    function fill(place) {
      var fields = { id_lat: place.lat, id_lon: place.lon, id_precision_m: place.precision_m };
      Object.keys(fields).forEach(function (id) {
        var field = document.getElementById(id);
        if (field) field.value = String(fields[id]);
      });
      var name = document.getElementById("id_place_name");
      if (name && !name.value) name.value = place.label;
      list.textContent = "";
      input.value = place.label;
    }
    function show(items) {
      list.textContent = "";
      items.forEach(function (place) {
        var item = document.createElement("li");
        var pick = document.createElement("button");
        pick.type = "button";
        pick.className = "link";
        pick.textContent = place.label;
        pick.addEventListener("click", function () { fill(place); });
        item.appendChild(pick);
        list.appendChild(item);
      });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { list.textContent = ""; return; }
      timer = setTimeout(function () {
        fetch(box.getAttribute("data-url") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (data) { show(data.items || []); });
      }, 200);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    inboxKeys();
    confirmations();
    reportMap();
    placeSuggestionKey();
    placeSearch();
  });
})();
