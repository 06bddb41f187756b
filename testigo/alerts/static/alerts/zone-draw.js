// Draw a zone on the map: each click adds a corner; the polygon is written as GeoJSON into the
// hidden "geojson" field; the zones already made are drawn too, with their names. Without
// JavaScript the point-and-radius fields still work.
(function () {
  "use strict";
  // The zones that exist already, in grey with their names, so a new one is drawn beside them
  // (or over them) knowingly. Not interactive: a click inside one still adds a corner.
  function showZones(map, url) {
    if (!url) { return; }
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          interactive: false,
          style: {color: "#555", weight: 2, dashArray: "4 4", fillOpacity: 0.08},
          onEachFeature: function (feature, shape) {
            var label = document.createElement("span"); // textContent: a name is never markup
            label.textContent = feature.properties.name;
            shape.bindTooltip(label, {permanent: true, direction: "center", className: "zone-label"});
          }
        }).addTo(map);
        if (data.features.length) { map.fitBounds(layer.getBounds(), {maxZoom: 12}); }
        map.getContainer().dataset.zonesShown = data.features.length;
      })
      .catch(function () { map.getContainer().dataset.zonesShown = "error"; });
  }
  function start() {
    var el = document.getElementById("zone-map"), field = document.getElementById("geojson");
    if (!el || !field || typeof L === "undefined") { return; }
    el.hidden = false;
    document.getElementById("zone-map-help").hidden = false;
    var map = L.map(el).setView((el.dataset.center || "14.6,-86.8").split(",").map(Number), 7);
    if (window.TestigoBasemap) { window.TestigoBasemap.add(map); } else if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, {maxZoom: 18, attribution: "© OpenStreetMap"}).addTo(map);
    }
    showZones(map, el.dataset.zones);
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
