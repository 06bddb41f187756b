// Choose "within N km of this point" on a map: a click fills the latitude and longitude fields.
// Without JavaScript the fields are typed by hand; this only adds the map.
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("point-map");
    var lat = document.getElementById("id_lat"), lon = document.getElementById("id_lon");
    var km = document.getElementById("id_radius_km");
    if (!el || !lat || !lon || typeof L === "undefined") { return; }
    el.hidden = false;
    var centre = (el.dataset.center || "14.6,-86.8").split(",").map(Number);
    var map = L.map(el).setView(centre, 7);
    // The site's basemaps (testigo/basemap.js): never a tile server the deployment did not choose.
    if (window.TestigoBasemap) { window.TestigoBasemap.add(map); } else if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, {maxZoom: 18, attribution: "© OpenStreetMap"}).addTo(map);
    }
    var circle = null;
    // "14,07" or "14.07": the server reads both (core/numbers.py), so does the map.
    function num(s) { return parseFloat(String(s).replace(",", ".")); }
    function draw() {
      var y = num(lat.value), x = num(lon.value), r = (km && num(km.value)) || 1;
      if (isNaN(y) || isNaN(x)) { return; }
      if (circle) { map.removeLayer(circle); }
      circle = L.circle([y, x], {radius: r * 1000}).addTo(map);
    }
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(5);
      lon.value = e.latlng.lng.toFixed(5);
      if (km && !km.value) { km.value = "2"; }
      draw();
    });
    [lat, lon, km].forEach(function (f) { if (f) { f.addEventListener("change", draw); } });
    draw();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
