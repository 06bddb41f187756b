/* Report form map pin + "use my location", the approximate-location map of a report page, and the
   help page's map of services.
   Progressive enhancement only: without this file the form works with its text and number
   fields. Settings and messages come from data- attributes (the CSP forbids inline script). */
(function () {
  "use strict";
  var L = window.L;
  if (!L) { return; }

  // Leaflet guesses its marker images' folder from leaflet.css, which fails once collectstatic has
  // renamed them (marker-icon.<hash>.png): the page gives their real static URLs instead.
  function pinIcon(el) {
    if (!el.dataset.markerIcon) { return new L.Icon.Default(); }
    return L.icon(L.Util.extend({}, L.Icon.Default.prototype.options, { iconUrl: el.dataset.markerIcon,
      iconRetinaUrl: el.dataset.markerIcon2x, shadowUrl: el.dataset.markerShadow }));
  }

  function baseMap(el, center, zoom) {
    el.hidden = false;
    var map = L.map(el, { scrollWheelZoom: false }).setView(center, zoom);
    // The same basemaps as the map (basemap.js: own tile sets, tile server, outline map when the
    // server does not answer), with a switcher when there is more than one. Tiles are decoration:
    // if none load the pin and circle still work.
    if (window.TestigoBasemap) {
      var bases = window.TestigoBasemap.add(map).bases;
      if (Object.keys(bases).length > 1) { L.control.layers(bases, null, { collapsed: true }).addTo(map); }
    } else if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    }
    return map;
  }

  function fixed(n) { return (Math.round(n * 1e6) / 1e6).toString(); }
  // "14,07" or "14.07": the server reads both (core/numbers.py), so does the map.
  function num(s) { return parseFloat(String(s).replace(",", ".")); }

  function pickMap(el) {
    var lat = document.getElementById("id_lat"), lon = document.getElementById("id_lon");
    var status = document.getElementById("locate-status");
    var start = (el.dataset.center || "0,0").split(",").map(Number);
    var has = lat.value !== "" && lon.value !== "";
    has = has && isFinite(num(lat.value)) && isFinite(num(lon.value));
    var map = baseMap(el, has ? [num(lat.value), num(lon.value)] : start, has ? 15 : +el.dataset.zoom || 7);
    var marker = null;

    function place(latlng, zoom) {
      lat.value = fixed(latlng.lat);
      lon.value = fixed(L.Util.wrapNum(latlng.lng, [-180, 180], true));
      if (!marker) {
        marker = L.marker(latlng, { icon: pinIcon(el), draggable: true, keyboard: true }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng()); });
      } else {
        marker.setLatLng(latlng);
      }
      if (zoom) { map.setView(latlng, zoom); }
    }
    if (has) { place(L.latLng(num(lat.value), num(lon.value))); }
    map.on("click", function (e) { place(e.latlng); });
    function fromInputs() {
      var a = num(lat.value), b = num(lon.value);
      if (isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) { place(L.latLng(a, b), 15); }
    }
    lat.addEventListener("change", fromInputs);
    lon.addEventListener("change", fromInputs);

    var button = document.getElementById("locate-me");
    if (navigator.geolocation && button) {
      button.parentNode.hidden = false;
      button.addEventListener("click", function () {
        status.textContent = el.dataset.msgLocating;
        navigator.geolocation.getCurrentPosition(function (pos) {
          place(L.latLng(pos.coords.latitude, pos.coords.longitude), 16);
          status.textContent = el.dataset.msgLocated;
        }, function () {
          status.textContent = el.dataset.msgFailed;
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
  }

  function reportMap(el) {
    var point = [+el.dataset.lat, +el.dataset.lon], radius = +el.dataset.radius || 0;
    var map = baseMap(el, point, 14);
    if (radius > 0) {
      var circle = L.circle(point, { radius: radius }).addTo(map).bindTooltip(el.dataset.label);
      map.fitBounds(circle.getBounds(), { padding: [10, 10] });
    } else {
      L.circleMarker(point).addTo(map).bindTooltip(el.dataset.label);
    }
  }

  // The help page's map (docs/help-services.md): one dot per located service of the list, which
  // carries the coordinates; the list itself works without this.
  function helpMap(el) {
    var points = [];
    document.querySelectorAll(".help-service[data-lat]").forEach(function (item) {
      points.push({ at: [+item.dataset.lat, +item.dataset.lon], name: item.dataset.name });
    });
    if (!points.length) { return; }
    var map = baseMap(el, points[0].at, 12);
    var group = L.featureGroup(points.map(function (p) {
      return L.circleMarker(p.at, { radius: 8 }).bindTooltip(p.name);
    })).addTo(map);
    if (points.length > 1) { map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 14 }); }
  }

  var help = document.getElementById("help-map");
  if (help) { helpMap(help); }
  var pick = document.getElementById("pick-map");
  if (pick) { pickMap(pick); }
  var shown = document.getElementById("report-map");
  if (shown) { reportMap(shown); }
})();
