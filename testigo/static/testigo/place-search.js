// The public map's "Go to a place" box (/api/v1/places), loaded by map.js the first time the box is
// focused: keeps the map page's own scripts within their budget (tests/api/test_pages.py).
(function () {
  "use strict";
  window.TestigoPlaceSearch = function (map, search, getJSON) {
    var input = search.querySelector("input"), results = search.querySelector("ul"), timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { results.textContent = ""; return; }
      timer = setTimeout(function () {
        getJSON(search.dataset.places + "?limit=8&q=" + encodeURIComponent(q)).then(function (data) {
          results.textContent = "";
          data.items.forEach(function (place) {
            var li = document.createElement("li"), go = document.createElement("button");
            go.type = "button";
            go.className = "link";
            go.textContent = place.label;
            go.addEventListener("click", function () {
              // Zoom to the place's size: a colonia (1 km) at 15, a town (5 km) at 13, a department at 9.
              var zoom = Math.max(8, Math.min(16, Math.round(16 - Math.log2(Math.max(place.precision_m, 500) / 500))));
              map.setView([place.lat, place.lon], zoom);
              results.textContent = "";
              input.value = place.label;
            });
            li.appendChild(go);
            results.appendChild(li);
          });
        }).catch(function () {});
      }, 200);
    });
    if (input.value.trim().length >= 2) input.dispatchEvent(new Event("input"));  // typed while loading
  };
})();
