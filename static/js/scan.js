// The scan page's beacon: tells the scan log this page was opened, with the phone's position when the
// page may read it. Sent by the page, not logged when the page is served: a link prefetcher (WeChat's)
// or a page answered from the phone's cache with a 304 logs nothing by itself, a page opened logs once.
(function () {
  // The page gives the scan's signed token, whether to ask for the position and where to send, as data.
  var data = document.getElementById("scan-beacon");
  var cfg = data && JSON.parse(data.textContent);
  if (!cfg) return;
  var sent = false;

  function send(pos) {
    if (sent) return;
    sent = true;
    var body = new URLSearchParams();
    body.set("token", cfg.token);
    // What was scanned or typed: the last part of this page's address (a spelling of the token's code).
    try { body.set("text", decodeURIComponent(location.pathname.split("/").pop())); } catch (e) { /* kept out */ }
    if (pos && pos.coords) {
      body.set("lon", pos.coords.longitude);
      body.set("lat", pos.coords.latitude);
      body.set("accuracy", pos.coords.accuracy);
    }
    // A form body: a CORS-safelisted type that every browser's sendBeacon sends, cookies included.
    if (navigator.sendBeacon && navigator.sendBeacon(cfg.url, body)) return;
    fetch(cfg.url, {method: "POST", body: body, keepalive: true, credentials: "same-origin"})
      .catch(function () { /* a lost scan is not worth bothering the user */ });
  }

  function sendWithout() { send(null); }

  // Leaving before the position came: the scan goes without it.
  window.addEventListener("pagehide", sendWithout);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") sendWithout();
  });

  if (!navigator.geolocation) { sendWithout(); return; }
  // A question nobody answers (the browser's prompt left open) must not keep the scan back for ever.
  window.setTimeout(sendWithout, 20000);

  function locate() {
    navigator.geolocation.getCurrentPosition(send, sendWithout,
                                             {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  }

  if (cfg.ask) { locate(); return; }
  // Citizens are not prompted: only a permission they already gave is used.
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({name: "geolocation"}).then(function (status) {
      if (status.state === "granted") locate(); else sendWithout();
    }).catch(sendWithout);
  } else {
    sendWithout();
  }
})();
