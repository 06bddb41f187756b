/* Testigo basemaps, shared by every map (public and staff maps, report form, report pages).
   TestigoBasemap.add(map, el) draws the background chosen by the #basemap-config JSON script:
   - the configured tile server (TESTIGO_TILE_URL), unless it is "none";
   - the deployment's own tile sets (/tiles/<id>/{z}/{x}/{y}.<ext>, served by Testigo);
   - the built-in outline map: country shapes vendored with Testigo (Natural Earth via the npm
     package world-atlas), drawn from TopoJSON with no tile server at all.
   If the tile server does not answer (FAIL_AFTER errors before any tile loads, or nothing within
   FAIL_MS), the outline map replaces it: a map offline is never a grey box.
   The chosen basemap is kept in the address (?layer=<key>) when the page asks for it. */
(function () {
  "use strict";
  var L = window.L;
  if (!L) { return; }
  var FAIL_AFTER = 3; // tile errors with none loaded: the server is unreachable, not one tile missing
  var FAIL_MS = 15000; // a network that swallows requests gives no error at all (2G: a tile takes seconds)
  var cfgEl = document.getElementById("basemap-config");
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : { tileUrl: "", tilesets: [], fallback: null };

  // --- TopoJSON (the subset world-atlas uses: quantized Polygon / MultiPolygon) -----------------
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
  function features(topo, skip) {
    var arcs = decodeArcs(topo);
    return topo.objects.countries.geometries.filter(function (g) {
      return g.arcs && !(skip && skip[g.id]);
    }).map(function (g) {
      var coords = g.type === "Polygon" ? g.arcs.map(function (r) { return ring(arcs, r); })
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

  // The outline map: the detailed regional file over the coarse world, loaded the first time it is shown.
  function outlineLayer(map) {
    var style = { color: "#7d7467", weight: 1, fillColor: "#f4f1ea", fillOpacity: 1, interactive: false };
    var group = L.geoJSON(null, { style: style, renderer: L.canvas({ padding: 0.2 }) });
    group.options.attribution = cfg.fallbackAttribution || "";
    var loading = null;
    group.on("add", function () {
      map.getContainer().style.background = "#cfe0ea"; // sea (CSSOM: the CSP allows it, not style="")
      if (loading || !cfg.fallback) { return; }
      loading = Promise.all([getJSON(cfg.fallback.region), getJSON(cfg.fallback.world)]).then(function (both) {
        var inRegion = {};
        both[0].objects.countries.geometries.forEach(function (g) { inRegion[g.id] = true; });
        group.addData(features(both[1], inRegion));
        group.addData(features(both[0]));
        group.bringToBack();
        map.getContainer().dataset.outline = "drawn";
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

  // A vector (pbf) tile set, drawn by protomaps-leaflet (Protomaps basemap layers: earth, water,
  // roads, places...). Its 38 KB script is fetched only when such a layer is first shown.
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
