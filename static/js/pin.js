/* The report form without a code: the citizen drops a pin on the map, or gives the phone's position, and
   the form offers the facilities within 50 m and shows the open reports of the same kind already there
   (已有人报告), which the citizen may follow or add to. Positions are kept in WGS-84; AMap's GCJ-02 tiles
   get them shifted, as on the map page. */
(function () {
  "use strict";
  var box = document.getElementById("pin-map");
  if (!box || !window.L) return;
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var words = config.words, datums = window.MunicipalDatums, shifted = config.tiles.datum === "gcj02";
  var form = box.closest("form");
  var status = document.getElementById("pin-status");
  var list = document.getElementById("pin-facilities");
  var duplicates = document.getElementById("pin-duplicates");
  var chosen = list.getAttribute("data-chosen");
  var pending = null, marker = null;

  function toMap(lon, lat) {
    var p = shifted ? datums.wgs84ToGcj02(lon, lat) : [lon, lat];
    return L.latLng(p[1], p[0]);
  }

  function fromMap(latlng) {
    return shifted ? datums.gcj02ToWgs84(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  var b = config.bbox;
  var map = L.map(box, { zoomSnap: 1, maxZoom: 20 });
  window.MunicipalBasemap(map, config, toMap);
  map.fitBounds([toMap(b[0], b[1]), toMap(b[2], b[3])]);

  function category() {
    var checked = form.querySelector("input[name=category]:checked");
    return checked ? checked.value : "";
  }

  function option(value, text, checked) {
    var label = el("label", null, { "class": "check" });
    var input = el("input", null, { type: "radio", name: "facility", value: value });
    input.checked = checked;
    label.appendChild(input);
    label.appendChild(el("span", text));
    return label;
  }

  var drawn = L.layerGroup().addTo(map);

  function showFacilities(found) {
    list.textContent = "";
    drawn.clearLayers();
    var picked = found.some(function (f) { return String(f.id) === chosen; });
    found.forEach(function (f) {
      var text = f.name + " · " + f.type_label + " · " + words.metres.replace("%(n)s", Math.round(f.distance_m));
      var choice = option(String(f.id), text, String(f.id) === chosen);
      list.appendChild(choice);
      // On the map too: a tap on the facility picks it, as its line in the list does.
      L.circleMarker(toMap(f.lon, f.lat), { radius: 8, color: "#fff", weight: 2, fillColor: "#1d4e89",
                                            fillOpacity: .9 })
        .bindTooltip(f.name).on("click", function () { choice.querySelector("input").checked = true; })
        .addTo(drawn);
    });
    list.appendChild(option("", words.none, !picked));
  }

  function showDuplicates(found) {
    duplicates.textContent = "";
    duplicates.hidden = !found.length;
    if (!found.length) return;
    duplicates.appendChild(el("h2", words.already));
    var items = el("ul");
    found.forEach(function (d) {
      var item = el("li");
      item.appendChild(el("code", d.number));
      item.appendChild(document.createTextNode(" · " + d.category_label + " · "));
      item.appendChild(el("strong", d.status_label, { "class": "status r-" + d.status }));
      item.appendChild(document.createTextNode(" · " + words.metres.replace("%(n)s", Math.round(d.distance_m)) + " "));
      item.appendChild(el("a", words.progress, { href: d.status_url }));
      item.appendChild(el("button", words.join.replace("%(number)s", d.number),
                          { type: "submit", name: "join", value: d.number }));
      items.appendChild(item);
    });
    duplicates.appendChild(items);
  }

  function lookup() {
    var lon = form.elements.lon.value, lat = form.elements.lat.value;
    if (!lon || !lat) return;
    var picked = form.querySelector("input[name=facility]:checked");
    if (picked) chosen = picked.value;
    var params = new URLSearchParams({ lon: lon, lat: lat });
    if (category()) params.set("category", category());
    if (pending) pending.abort();
    pending = new AbortController();
    box.removeAttribute("data-nearby");
    fetch(config.nearby + "?" + params, { credentials: "same-origin", signal: pending.signal,
                                          headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (answer) {
        showFacilities(answer.facilities);
        showDuplicates(answer.duplicates);
        box.setAttribute("data-nearby", String(answer.facilities.length));
      })
      .catch(function (error) { if (error.name !== "AbortError") status.textContent = words.failed; });
  }

  function place(lon, lat, zoom) {
    var at = toMap(lon, lat);
    if (!marker) {
      marker = L.marker(at, { draggable: true, keyboard: false,
                              icon: L.divIcon({ className: "pin-marker", html: "<span></span>",
                                                iconSize: [22, 22], iconAnchor: [11, 26] }) }).addTo(map);
      marker.on("dragend", function () {
        var p = fromMap(marker.getLatLng());
        place(p[0], p[1]);
      });
    } else {
      marker.setLatLng(at);
    }
    if (zoom) map.setView(at, zoom);
    form.elements.lon.value = lon.toFixed(6);
    form.elements.lat.value = lat.toFixed(6);
    lookup();
  }

  map.on("click", function (e) {
    var p = fromMap(e.latlng);
    place(p[0], p[1], Math.max(map.getZoom(), 17));
    status.textContent = words.pinned;
  });

  var locate = document.getElementById("pin-locate");
  if (navigator.geolocation) {
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        place(p.coords.longitude, p.coords.latitude, 18);
        status.textContent = words.located;
      }, function () { status.textContent = words.noPosition; },
      { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
    });
  } else {
    locate.hidden = true;
  }

  form.addEventListener("change", function (e) {
    if (e.target.name === "category") lookup();
  });

  // The form came back with an error: the pin where the citizen left it, and their facility still chosen.
  if (form.elements.lon.value && form.elements.lat.value) {
    place(parseFloat(form.elements.lon.value), parseFloat(form.elements.lat.value), 18);
  }
})();
