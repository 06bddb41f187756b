/* Testigo aerial imagery overlays (GeoTIFFs tiled by Testigo, /tiles/<id>/{z}/{x}/{y}.png), loaded by
   basemap.js only when the #basemap-config lists some.
   Drawn over whichever basemap, each with a
   check box and an opacity slider in a small control of their own. Without JavaScript there is no
   map at all, so nothing here is needed for the no-JS pages. */
(function () {
  "use strict";
  var L = window.L;
  window.TestigoOverlays = function (map, cfg, esc) {
    var list = cfg.overlays;
    var box = L.control({ position: "topright" });
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-control-layers leaflet-control tg-overlays");
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var title = L.DomUtil.create("strong", "", div);
      title.textContent = cfg.overlaysName || "Aerial imagery";
      list.forEach(function (t) {
        // Zoomed out past the image's own levels, its smallest tiles are drawn smaller (a few tiles,
        // within its bounds) rather than nothing, down to 6 levels out.
        var layer = L.tileLayer(t.url, { attribution: esc(t.attribution), minNativeZoom: t.minZoom || 0,
          minZoom: Math.max(0, (t.minZoom || 0) - 6), maxNativeZoom: t.maxZoom || 18, maxZoom: 22, bounds: t.bounds || undefined,
          opacity: t.opacity, pane: "overlayPane" });
        var row = L.DomUtil.create("div", "tg-overlay", div);
        var label = L.DomUtil.create("label", "", row);
        var check = L.DomUtil.create("input", "", label);
        check.type = "checkbox";
        label.appendChild(document.createTextNode(" " + t.name + (t.date ? " (" + t.date + ")" : "")));
        var slider = L.DomUtil.create("input", "", row);
        slider.type = "range"; slider.min = "0"; slider.max = "100";
        slider.value = String(Math.round(t.opacity * 100));
        slider.setAttribute("aria-label", (cfg.opacityName || "Opacity") + ": " + t.name);
        check.addEventListener("change", function () {
          if (check.checked) { layer.addTo(map); } else { map.removeLayer(layer); }
          map.getContainer().dataset.overlays = String(div.querySelectorAll("input:checked").length);
        });
        slider.addEventListener("input", function () { layer.setOpacity(Number(slider.value) / 100); });
      });
      return div;
    };
    box.addTo(map);
  };
})();
