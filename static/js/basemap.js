/* The background of the maps over tiles (the map page, the citizen's pin): the configured tile layers, and
   with tiles `none` the district's outline, so the features have a frame. `toMap` turns a WGS-84 lon/lat into
   the map's datum (GCJ-02 under AMap's tiles). */
window.MunicipalBasemap = function (map, config, toMap) {
  "use strict";
  var b = config.bbox;
  config.tiles.layers.forEach(function (layer) {
    L.tileLayer(layer.url, { subdomains: layer.subdomains || "abc", attribution: layer.attribution,
                             maxZoom: 20, maxNativeZoom: 18 }).addTo(map);
  });
  if (config.tiles.kind === "none") {
    L.rectangle([toMap(b[0], b[1]), toMap(b[2], b[3])], { color: "#1d4e89", weight: 1, fill: false,
                                                           interactive: false }).addTo(map);
  }
};
