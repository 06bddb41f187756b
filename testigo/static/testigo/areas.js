// The maps' counts per area (/api/v1/map/areas.geojson) as filled areas, a choropleth: each uploaded
// department or municipality coloured by its count (zero included) with a legend; an area with no
// polygon as a circle at its centre. Loaded by map.js the first time the overlay is shown, which
// keeps the map page's own scripts within their budget (tests/api/test_pages.py). Public map:
// published public reports by their public point's area; staff map (data-areas-scope="staff"):
// every report the staff member may see.
(function () {
  "use strict";
  var PALETTE = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];  // ColorBrewer Reds, 5 classes
  var ZERO = "#f2f2f2";
  var legends = new WeakMap();

  function breaks(max) {  // lower bounds of the classes above zero: 1, then 10 %, 25 %, 50 %, 75 % of the most
    var out = [1];
    [0.1, 0.25, 0.5, 0.75].forEach(function (f) {
      var b = Math.ceil(max * f);
      if (b > out[out.length - 1]) out.push(b);
    });
    return out;
  }
  function colour(k, n) {  // fewer classes than colours: spread them, so 1 and 2 reports do not look alike
    if (n >= PALETTE.length) return PALETTE[k];
    return PALETTE[n === 1 ? 2 : Math.round(1 + k * 3 / (n - 1))];
  }
  function classOf(count, bounds) {
    for (var i = bounds.length - 1; i >= 0; i--) if (count >= bounds[i]) return i;
    return -1;
  }
  function legend(esc, title, bounds, max) {
    var box = L.DomUtil.create("div", "map-legend");
    var rows = ["<strong>" + esc(title) + "</strong>",
      '<span class="map-legend-row"><i class="map-legend-swatch zero"></i>0</span>'];
    bounds.forEach(function (b, i) {
      var top = i + 1 < bounds.length ? bounds[i + 1] - 1 : max;
      rows.push('<span class="map-legend-row"><i class="map-legend-swatch" data-class="' + i + '"></i>' +
        (top > b ? b + "–" + top : b) + "</span>");
    });
    box.innerHTML = rows.join("");
    // Colours through the CSSOM: CSP forbids style="" attributes in markup, not this.
    box.querySelectorAll("[data-class]").forEach(function (i) {
      i.style.background = colour(+i.dataset.class, bounds.length);
    });
    return box;
  }
  function hide(ctx, group) {
    var control = legends.get(group);
    if (control) { ctx.map.removeControl(control); legends.delete(group); }
  }
  function draw(ctx, group, level, title) {
    var query = { level: level };
    if (ctx.el.dataset.areasScope) query.scope = ctx.el.dataset.areasScope;
    ctx.getJSON(ctx.url(ctx.el.dataset.areas, query)).then(function (data) {
      if (!ctx.map.hasLayer(group)) return;  // switched off while loading
      group.clearLayers();
      var max = Math.max(1, data.max), bounds = breaks(max);
      var style = function (f) {
        var k = classOf(f.properties.count, bounds);
        return { className: "tg-area", weight: 1, color: "#7a1f1f", fillColor: k < 0 ? ZERO : colour(k, bounds.length),
          fillOpacity: k < 0 ? 0.35 : 0.75 };
      };
      L.geoJSON(data, {
        style: style,
        filter: function (f) { return f.geometry !== null; },
        pointToLayer: function (f, ll) {
          var s = style(f);
          s.radius = 8 + 20 * Math.sqrt(f.properties.count / max);
          return L.circleMarker(ll, s);
        },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(ctx.esc(f.properties.name) + ": " + f.properties.count + " " +
            ctx.esc(ctx.strings.reports || ""), { sticky: true });
        }
      }).addTo(group);
      hide(ctx, group);
      var control = L.control({ position: "bottomright" });
      control.onAdd = function () { return legend(ctx.esc, title, bounds, max); };
      control.addTo(ctx.map);
      legends.set(group, control);
      ctx.el.dataset.areasLoaded = level;
    }).catch(ctx.fail);
  }
  window.TestigoAreas = { draw: draw, hide: hide };
})();
