// Draw a zone on the map: each click adds a corner; the polygon is written as GeoJSON into the
// hidden "geojson" field. Without JavaScript the point-and-radius fields still work.
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("zone-map"), field = document.getElementById("geojson");
    if (!el || !field || typeof L === "undefined") { return; }
    el.hidden = false;
    document.getElementById("zone-map-help").hidden = false;
    var map = L.map(el).setView((el.dataset.center || "14.6,-86.8").split(",").map(Number), 7);
    L.tileLayer(el.dataset.tiles, {maxZoom: 18, attribution: "© OpenStreetMap"}).addTo(map);
    var corners = [], shape = null;
    function redraw() {
      if (shape) { map.removeLayer(shape); }
      shape = corners.length ? L.polygon(corners).addTo(map) : null;
      if (corners.length < 3) { field.value = ""; return; }
      var ring = corners.map(function (c) { return [c.lng, c.lat]; });
      ring.push(ring[0]);
      field.value = JSON.stringify({type: "Polygon", coordinates: [ring]});
    }
    map.on("click", function (e) { corners.push(e.latlng); redraw(); });
    document.getElementById("zone-clear").addEventListener("click", function () { corners = []; redraw(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
