// My work on the phone: keeps the offline pack up to date (the member's open work for the coming days, each
// work order, its record form and its facility, in the service worker's page cache) whenever the page opens
// with a connection, and says when it was last updated. Cards due the same day come nearest first when the
// phone's position is known.
(function () {
  "use strict";
  var status = document.getElementById("pack-status");
  var W = window.FieldWords || {};
  var S = window.FieldStore;
  if (!status || !S || !window.indexedDB) return;
  var PAGES = "field-pages";  // the service worker's cache of the crew's pages (sw.js)

  function show(meta) {
    if (!meta) { status.textContent = W.pack_none; return; }
    var when = new Date(meta.updated_at);
    var text = when.toLocaleString(document.documentElement.lang || undefined,
                                   {month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit"});
    status.textContent = W.pack_updated.replace("{time}", text);
    status.dataset.updated = meta.updated_at;
  }

  async function update() {
    var response = await fetch("/field/pack", {headers: {Accept: "application/json"}, credentials: "same-origin",
                                               cache: "no-store"});
    if (!response.ok) return;
    var pack = await response.json();
    if (!window.caches) return;
    status.textContent = W.pack_updating;
    var cache = await caches.open(PAGES);
    var failed = 0;
    await Promise.all(pack.urls.map(async function (url) {
      try {
        var page = await fetch(url, {credentials: "same-origin", cache: "no-store"});
        if (page.ok && !page.redirected) await cache.put(url, page);
        else failed++;
      } catch (e) {
        failed++;
      }
    }));
    // The scanner's decoder (about 1 MB): fetched once, kept in the service worker's static cache.
    var statics = await caches.open("field-static");
    await Promise.all((pack.static || []).map(async function (url) {
      if (await statics.match(url)) return;
      try {
        var file = await fetch(url);
        if (file.ok) await statics.put(url, file);
      } catch (e) { /* fetched again next time */ }
    }));
    if (failed) return show(await S.get("meta", "pack"));
    var meta = {name: "pack", updated_at: Date.now(), codes: pack.codes, urls: pack.urls, days: pack.days,
                facilities: pack.facilities};
    await S.put("meta", meta);
    show(meta);
  }

  function sortByDistance(position) {
    var lat = position.coords.latitude, lon = position.coords.longitude;
    document.querySelectorAll(".work-cards").forEach(function (list) {
      var cards = Array.prototype.slice.call(list.children);
      cards.forEach(function (card) {
        if (!card.dataset.lat) return;
        var dy = (card.dataset.lat - lat) * 111195;
        var dx = (card.dataset.lon - lon) * 111195 * Math.cos(lat * Math.PI / 180);
        card.dataset.distance = Math.round(Math.sqrt(dx * dx + dy * dy));
        var label = card.querySelector(".distance");
        label.hidden = false;
        label.textContent = " · " + (card.dataset.distance >= 1000 ? (card.dataset.distance / 1000).toFixed(1) + " km"
                                                                  : card.dataset.distance + " m");
      });
      cards.sort(function (a, b) {
        var dayA = a.dataset.due.slice(0, 10), dayB = b.dataset.due.slice(0, 10);
        if (dayA !== dayB) return dayA < dayB ? -1 : 1;
        return (+a.dataset.distance || Infinity) - (+b.dataset.distance || Infinity);
      });
      cards.forEach(function (card) { list.appendChild(card); });
    });
  }

  S.get("meta", "pack").then(show).then(function () {
    if (navigator.onLine !== false) return update();
  }).catch(function () { /* offline: the page says when the pack was last updated */ });

  if (navigator.geolocation && navigator.permissions) {
    navigator.permissions.query({name: "geolocation"}).then(function (permission) {
      if (permission.state === "granted") {
        navigator.geolocation.getCurrentPosition(sortByDistance, function () {}, {maximumAge: 300000, timeout: 10000});
      }
    }).catch(function () {});
  }
})();
