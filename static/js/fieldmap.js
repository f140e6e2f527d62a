/* The crew map: the offline pack's facilities (kept by mywork.js in the phone's storage) and the member's
   position, on the plain background, so it works where there is no signal. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var status = document.getElementById("map-status");
  var b = config.bbox;
  var map = L.map("map", { zoomSnap: 1, maxZoom: 20 });
  L.rectangle([[b[1], b[0]], [b[3], b[2]]], { color: "#1d4e89", weight: 1, fill: false, interactive: false })
    .addTo(map);
  map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  var me = null;

  function card(facility) {
    var link = document.createElement("a");
    link.href = facility.url;
    link.textContent = facility.name;
    return link;
  }

  function draw(facilities) {
    var bounds = [];
    facilities.forEach(function (f) {
      var g = f.geometry, layer;
      if (g.type === "LineString") {
        var line = g.coordinates.map(function (c) { return [c[1], c[0]]; });
        layer = L.polyline(line, { color: "#ef6c00", weight: 3 });
        bounds = bounds.concat(line);
      } else {
        layer = L.circleMarker([g.coordinates[1], g.coordinates[0]], { radius: 8, color: "#fff", weight: 1,
                                                                       fillColor: "#ef6c00", fillOpacity: .9 });
        bounds.push([g.coordinates[1], g.coordinates[0]]);
      }
      layer.bindPopup(card(f)).addTo(map);
    });
    if (bounds.length) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
    document.getElementById("map").setAttribute("data-loaded", String(facilities.length));
  }

  function located(position) {
    var at = [position.coords.latitude, position.coords.longitude];
    if (!me) {
      me = L.circleMarker(at, { radius: 7, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 1 })
        .bindTooltip(config.words.me).addTo(map);
    } else {
      me.setLatLng(at);
    }
  }

  var store = window.FieldStore;
  (store ? store.get("meta", "pack") : Promise.resolve(null)).then(function (meta) {
    var facilities = (meta && meta.facilities) || [];
    if (!facilities.length) status.textContent = config.words.empty;
    draw(facilities);
  }).catch(function () { status.textContent = config.words.empty; draw([]); });

  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(located, function () { status.textContent = config.words.noPosition; },
                                        { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }
})();
