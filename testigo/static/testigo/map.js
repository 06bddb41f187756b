/* Testigo map: server-side clusters drawn as L.divIcon circles, a list that follows the viewport,
   custom layers, and the view + filters kept in the URL (hash = view, query = filters).
   No inline code (CSP): configuration comes from the #map-config JSON script. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var cfgEl = document.getElementById("map-config");
  if (!el || !cfgEl || !window.L) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var strings = {};
  var tpl = document.getElementById("map-strings");
  if (tpl) tpl.content.querySelectorAll("[data-key]").forEach(function (s) { strings[s.dataset.key] = s.textContent; });
  var cats = {};
  cfg.categories.forEach(function (c) { cats[c.id] = c; });
  var form = document.getElementById("map-filters");
  var list = document.getElementById("map-list");
  var listTitle = document.getElementById("map-list-title");

  // View from the hash: #map=zoom/lat/lon
  var m = /map=(\d+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(location.hash);
  var map = L.map(el, { worldCopyJump: true, minZoom: 2, maxZoom: 18 });
  if (m) map.setView([+m[2], +m[3]], +m[1]); else map.setView(cfg.center, cfg.zoom);
  // Basemaps (tile server, own tile sets, built-in outline map) and the layer switcher: basemap.js.
  var basemaps = window.TestigoBasemap ? window.TestigoBasemap.add(map, { layerParam: true }) : { bases: {} };
  var switcher = L.control.layers(basemaps.bases, null, { collapsed: true }).addTo(map);
  var markers = L.layerGroup().addTo(map);

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }
  function wrap(lon) { return ((lon + 540) % 360) - 180; }
  function bbox() {
    var b = map.getBounds(), w = b.getWest(), e = b.getEast();
    var s = Math.max(-90, b.getSouth()), n = Math.min(90, b.getNorth());
    if (e - w >= 360) { w = -180; e = 180; } else { w = wrap(w); e = wrap(e); if (e === -180) e = 180; }
    return [w, s, e, n].map(function (v) { return v.toFixed(5); }).join(",");
  }
  function filterQuery() {
    var q = new URLSearchParams(el.dataset.filters != null ? el.dataset.filters : location.search);
    q.delete("bbox"); q.delete("zoom"); q.delete("cursor"); q.delete("limit"); q.delete("layer");
    return q;
  }
  function url(base, extra) {
    var q = filterQuery();
    Object.keys(extra).forEach(function (k) { q.set(k, extra[k]); });
    return base + "?" + q.toString();
  }
  var pending = null;
  function getJSON(u, signal) {
    // The page's language, not the browser's: dates and labels in the JSON then match the page.
    var headers = { Accept: "application/json" };
    if (document.documentElement.lang) headers["Accept-Language"] = document.documentElement.lang;
    return fetch(u, { credentials: "same-origin", signal: signal, headers: headers })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  // Icon diameter grows with the count's order of magnitude (30 px for 2, ~60 px for 10 000).
  var HALO = 6; // px of the icon's box-shadow ring, kept clear too so rings do not touch
  function iconSize(count) { return Math.round(Math.min(64, 24 + 9 * Math.log10(Math.max(count, 2)))); }
  function clusterIcon(c) {
    var size = iconSize(c.count), digits = String(c.count).length;
    return L.divIcon({ className: "tg-cluster tg-d" + Math.min(digits, 4), iconSize: [size, size],
      html: "<span>" + (c.count >= 10000 ? Math.round(c.count / 1000) + "k" : c.count) + "</span>" });
  }
  function pointIcon(p) {
    return L.divIcon({ className: "tg-point", iconSize: [16, 16] });
  }
  function popup(p) {
    var names = p.categories.map(function (id) { return cats[id] ? cats[id].name : ""; }).filter(Boolean);
    return "<strong>" + esc(p.title) + "</strong><br>" + esc(names.join(", ")) +
      (p.when ? '<br><time datetime="' + esc(p.date) + '">' + esc(p.when) + "</time>" : "") +
      (p.status ? " · " + esc(p.status) : "") +
      '<br><a href="' + esc(cfg.reportUrl.replace("{ref}", p.reference)) + '">' + esc(strings.open || "Open") + "</a>";
  }
  // The server groups reports by grid cell, but two cells' centroids can sit a few pixels apart
  // on either side of a cell border, and their circles then hide each other's counts ("29" under
  // "70"). So, on screen, any two markers (clusters or single reports) whose icons would touch
  // are merged: counts summed, position the count-weighted centroid, bounds joined. Repeated
  // until nothing touches; the total stays the server's. A few hundred markers at most per view.
  function radius(item) { return (item.count > 1 ? iconSize(item.count) / 2 + HALO : 8 + 2); }
  function separate(data) {
    var items = data.clusters.map(function (c) { return { count: c.count, lat: c.lat, lon: c.lon, bounds: c.bounds }; })
      .concat(data.points.map(function (p) {
        return { count: 1, lat: p.lat, lon: p.lon, bounds: [p.lon, p.lat, p.lon, p.lat], point: p };
      }));
    items.forEach(function (it) { it.px = map.latLngToLayerPoint([it.lat, it.lon]); });
    items.sort(function (a, b) { return b.count - a.count; });
    var merged = true;
    while (merged) {
      merged = false;
      for (var i = 0; i < items.length; i++) {
        for (var j = i + 1; j < items.length; j++) {
          var a = items[i], b = items[j];
          if (a.px.distanceTo(b.px) >= radius(a) + radius(b)) continue;
          var n = a.count + b.count;
          a.lat = (a.lat * a.count + b.lat * b.count) / n;
          a.lon = (a.lon * a.count + b.lon * b.count) / n;
          a.bounds = [Math.min(a.bounds[0], b.bounds[0]), Math.min(a.bounds[1], b.bounds[1]),
            Math.max(a.bounds[2], b.bounds[2]), Math.max(a.bounds[3], b.bounds[3])];
          a.count = n;
          a.point = null;
          a.px = map.latLngToLayerPoint([a.lat, a.lon]);
          items.splice(j, 1);
          merged = true;
          j = i; // a moved and grew: check it against every other marker again
        }
      }
    }
    return items;
  }
  function draw(data) {
    markers.clearLayers();
    separate(data).forEach(function (item) {
      if (item.point) { markers.addLayer(pointMarker(item.point)); return; }
      var mk = L.marker([item.lat, item.lon], { icon: clusterIcon(item), title: item.count + " " + (strings.zoomIn || ""),
        keyboard: true });
      mk.on("click", function () {
        var b = item.bounds;
        map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: Math.min(map.getZoom() + 3, 18) });
      });
      markers.addLayer(mk);
    });
    el.dataset.total = data.total;
    el.dataset.loaded = (+el.dataset.loaded || 0) + 1;
  }
  function pointMarker(p) {
    var mk = L.marker([p.lat, p.lon], { icon: pointIcon(p), title: p.title, keyboard: true }).bindPopup(popup(p));
    var c = cats[p.categories[0]];
    // Colour through the CSSOM: CSP forbids style="" attributes in markup, not this.
    if (c) mk.on("add", function () { mk.getElement().style.background = c.colour; });
    return mk;
  }
  function drawList(data) {
    if (!list) return;
    if (listTitle) listTitle.textContent = strings.inView || listTitle.textContent;
    list.innerHTML = data.items.length ? data.items.map(function (r) {
      // `when` is formatted by the server (language, TESTIGO_TIME_ZONE): the same text as the pages.
      return '<li><a href="' + esc(cfg.reportUrl.replace("{ref}", r.reference)) + '">' + esc(r.title) +
        "</a> <small>" + esc(r.when || "") + (r.place_name ? " · " + esc(r.place_name) : "") + "</small></li>";
    }).join("") : '<li class="empty">' + esc(strings.noResults) + "</li>";
  }
  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    var box = bbox(), signal = pending.signal;
    el.dataset.bbox = box;
    el.dataset.zoom = map.getZoom();
    var c = map.getCenter();
    history.replaceState(null, "", location.pathname + location.search + "#map=" + map.getZoom() + "/" +
      c.lat.toFixed(4) + "/" + c.lng.toFixed(4));
    getJSON(url(el.dataset.clusters, { bbox: box, zoom: map.getZoom() }), signal).then(draw).catch(fail);
    getJSON(url(el.dataset.reports, { bbox: box, limit: 20 }), signal).then(drawList).catch(fail);
  }
  function fail(err) {
    if (err && err.name === "AbortError") return;
    el.dataset.error = "1";
    if (list) list.innerHTML = '<li class="error">' + esc(strings.error) + "</li>";
  }
  map.on("moveend", refresh);

  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (v) q.append(k, v); });
      var layer = new URLSearchParams(location.search).get("layer"); // the basemap is not a filter: kept
      if (layer) q.set("layer", layer);
      history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : "") + location.hash);
      refresh();
    });
  }

  // Staff map only: the active hotspots (reports/hotspots.py), a square per grid cell, shown at once.
  function overlaySwitcher() { return switcher; }  // the one switcher made with the basemaps above
  if (el.dataset.hotspots) {
    var hotspots = L.layerGroup().addTo(map);
    overlaySwitcher().addOverlay(hotspots, esc(el.dataset.hotspotsName || "Hotspots"));
    getJSON(el.dataset.hotspots).then(function (gj) {
      gj.features.forEach(function (f) {
        var p = f.properties, ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
        L.rectangle(ll.toBounds(p.cell_m), { color: "#d7301f", weight: 2, fillOpacity: 0.25, className: "hotspot" })
          .bindTooltip(esc(p.category) + ": " + p.observed + " / " + p.expected).addTo(hotspots);
      });
    }).catch(function () {});
  }

  // Reports per area, filled (areas.js, fetched when first shown: outside the page budget).
  var areaOverlays = [], areasCode = null;
  function withAreas(fn) {
    areasCode = areasCode || new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = el.dataset.areasScript;
      script.onload = function () { resolve(window.TestigoAreas); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
    areasCode.then(fn).catch(fail);
  }
  if (el.dataset.areas) {
    var ctx = { map: map, el: el, url: url, getJSON: getJSON, esc: esc, strings: strings, fail: fail };
    [["admin1", strings.perArea], ["admin2", strings.perMunicipality]].forEach(function (o) {
      var group = L.layerGroup(), draw = function (a) { a.draw(ctx, group, o[0], o[1]); };
      group.on("add", function () { map.removeLayer(markers); withAreas(draw); });
      group.on("remove", function () {
        withAreas(function (a) { a.hide(ctx, group); });
        if (!areaOverlays.some(function (g) { return map.hasLayer(g); })) markers.addTo(map);
      });
      if (form) form.addEventListener("submit", function () { if (map.hasLayer(group)) withAreas(draw); });
      switcher.addOverlay(group, esc(o[1]));
      areaOverlays.push(group);
    });
  }

  // Custom layers in a layer switcher; shapes are fetched the first time a layer is shown.
  getJSON(el.dataset.layers).then(function (data) {
    if (!data.items.length) return;
    data.items.forEach(function (layer) {
      var group = L.geoJSON(null, { style: { color: layer.colour, weight: 2, fillOpacity: 0.1 },
        pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 5, color: layer.colour }); },
        onEachFeature: function (f, l) { if (f.properties && f.properties.name) l.bindTooltip(esc(f.properties.name)); } });
      group.on("add", function () {
        if (group.loaded) return;
        group.loaded = true;
        getJSON(layer.url).then(function (gj) { group.addData(gj); });
      });
      switcher.addOverlay(group, esc(layer.name));
      if (layer.visible_by_default) group.addTo(map);
    });
  }).catch(function () {});

  // Going to a place named in the gazetteer (/api/v1/places): shown only where this script runs;
  // its code (place-search.js) is fetched the first time the box is used, outside the page budget.
  var search = document.getElementById("map-place-search");
  if (search) {
    search.hidden = false;
    search.querySelector("input").addEventListener("focus", function () {
      if (search.dataset.loading) return;
      search.dataset.loading = "1";
      var script = document.createElement("script");
      script.src = search.dataset.script;
      script.onload = function () { window.TestigoPlaceSearch(map, search, getJSON); };
      document.head.appendChild(script);
    });
  }

  refresh();
})();
