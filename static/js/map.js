/* The map page: asks /api/v1/map/features for what the viewport holds and draws it. The server clusters, so
   this file only draws; AMap's GCJ-02 tiles get our WGS-84 positions shifted onto them. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var words = config.words;
  var datums = window.MunicipalDatums;
  var shifted = config.tiles.datum === "gcj02";
  var status = document.getElementById("map-status");
  var form = document.getElementById("map-filters");

  function toMap(lon, lat) {
    var p = shifted ? datums.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }

  function fromMap(latlng) {
    return shifted ? datums.gcj02ToWgs84(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
  }

  var b = config.bbox;
  var map = L.map("map", { zoomSnap: 1, maxZoom: 20, minZoom: 8 });
  window.MunicipalBasemap(map, config, toMap);
  // The address keeps the view (#zoom/lat/lon, WGS-84), so a view can be sent to someone or reloaded.
  var hash = /^#(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(location.hash);
  if (hash) map.setView(toMap(+hash[3], +hash[2]), +hash[1]);
  else map.fitBounds([toMap(b[0], b[1]), toMap(b[2], b[3])]);
  var drawn = L.layerGroup().addTo(map);
  var pending = null;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function navLinks(lon, lat, name) {
    var g = datums.wgs84ToGcj02(lon, lat), box = el("p");
    box.appendChild(el("strong", words.navigate + ": "));
    box.appendChild(el("a", words.amap, { href: "https://uri.amap.com/marker?position=" + g[0].toFixed(6) + "," +
      g[1].toFixed(6) + "&name=" + encodeURIComponent(name) + "&coordinate=gaode&callnative=1", rel: "noopener" }));
    box.appendChild(el("a", words.baidu, { href: "https://api.map.baidu.com/marker?location=" + g[1].toFixed(6) +
      "," + g[0].toFixed(6) + "&title=" + encodeURIComponent(name) + "&content=" + encodeURIComponent(name) +
      "&coord_type=gcj02&output=html&src=webapp.municipal", rel: "noopener" }));
    return box;
  }

  function middle(geometry) {
    if (geometry.type === "Point") return geometry.coordinates;
    return geometry.coordinates[Math.floor(geometry.coordinates.length / 2)];
  }

  function assetCard(f) {
    var p = f.properties, box = el("div", null, { "class": "map-popup" }), at = middle(f.geometry);
    box.appendChild(el("a", p.name, { href: config.facility + p.id }));
    box.appendChild(el("div", (config.types[p.type] || p.type) + (p.code ? " · " + p.code : "")));
    var work = el("div", words.openWork + ": " + (p.open_work || words.none));
    if (p.overdue) work.appendChild(el("strong", " · " + words.overdue));
    box.appendChild(work);
    box.appendChild(navLinks(at[0], at[1], p.name));
    return box;
  }

  function simpleCard(title, lines, href) {
    var box = el("div", null, { "class": "map-popup" });
    box.appendChild(href ? el("a", title, { href: href }) : el("strong", title));
    lines.forEach(function (line) { box.appendChild(el("div", line)); });
    return box;
  }

  function draw(f) {
    var p = f.properties, g = f.geometry;
    if (p.cluster) {
      var at = toMap(g.coordinates[0], g.coordinates[1]);
      var size = p.count < 100 ? 32 : p.count < 10000 ? 40 : 48;
      var marker = L.marker(at, { icon: L.divIcon({ className: "map-cluster", html: String(p.count),
                                                    iconSize: [size, size] }),
                                  title: words.cluster.replace("%(n)s", p.count) });
      marker.on("click", function () { map.setView(at, Math.min(map.getZoom() + 2, config.singlesFrom)); });
      return marker.addTo(drawn);
    }
    var colour = p.kind === "report" ? "#2e7d32" : p.kind === "work_order" ? (p.overdue ? "#c62828" : "#ef6c00")
      : p.overdue ? "#c62828" : p.open_work ? "#ef6c00" : "#1d4e89";
    var layer;
    if (g.type === "LineString") {
      layer = L.polyline(g.coordinates.map(function (c) { return toMap(c[0], c[1]); }),
                         { color: colour, weight: 3 });
    } else {
      layer = L.circleMarker(toMap(g.coordinates[0], g.coordinates[1]),
                             { radius: p.kind === "asset" ? 7 : 5, color: "#fff", weight: 1, fillColor: colour,
                               fillOpacity: .9 });
    }
    var card = p.kind === "asset" ? assetCard(f)
      : p.kind === "work_order" ? simpleCard(words.workOrder + " #" + p.id, [words.due + ": " + p.due_at.slice(0, 10)],
                                             config.work + p.id)
      : simpleCard(words.report + " " + p.number, [p.status]);
    layer.bindPopup(card);
    return layer.addTo(drawn);
  }

  function load() {
    var centre = fromMap(map.getCenter());
    history.replaceState(null, "", "#" + map.getZoom() + "/" + centre[1].toFixed(6) + "/" + centre[0].toFixed(6));
    var bounds = map.getBounds(), sw = fromMap(bounds.getSouthWest()), ne = fromMap(bounds.getNorthEast());
    var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)); };
    var params = new URLSearchParams({
      bbox: [clamp(sw[0], -180, 180), clamp(sw[1], -90, 90), clamp(ne[0], -180, 180), clamp(ne[1], -90, 90)]
        .map(function (v) { return v.toFixed(6); }).join(","),
      zoom: String(map.getZoom()),
    });
    var layers = ["assets"];
    form.querySelectorAll("input[name=layer]:checked:not(:disabled)").forEach(function (box) {
      layers.push(box.value);
    });
    params.set("layers", layers.join(","));
    ["type", "state", "area"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value) params.set(name, value);
    });
    if (pending) pending.abort();
    pending = new AbortController();
    status.textContent = words.loading;
    fetch(config.features + "?" + params, { credentials: "same-origin", signal: pending.signal,
                                            headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (collection) {
        drawn.clearLayers();
        collection.features.forEach(draw);
        status.textContent = collection.truncated ? words.truncated : "";
        var box = document.getElementById("map");
        box.setAttribute("data-zoom", String(collection.zoom));
        box.setAttribute("data-loaded", String(collection.features.length));
      })
      .catch(function (error) { if (error.name !== "AbortError") status.textContent = words.failed; });
  }

  map.on("moveend", load);
  form.addEventListener("change", load);
  load();
})();
