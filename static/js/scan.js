// Records where a scan happened, when the phone lets the page read its position.
(function () {
  // The page gives the scan's token and where to send it as data, not as a script.
  var data = document.getElementById("scan-position");
  var cfg = data && JSON.parse(data.textContent);
  if (!cfg || !navigator.geolocation) return;

  function send(pos) {
    fetch(cfg.url, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({token: cfg.token, lon: pos.coords.longitude, lat: pos.coords.latitude,
                            accuracy: pos.coords.accuracy})
    }).catch(function () { /* a lost position is not worth bothering the user */ });
  }

  function locate() {
    navigator.geolocation.getCurrentPosition(send, function () {}, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  }

  if (cfg.ask) { locate(); return; }
  // Citizens are not prompted: only a permission they already gave is used.
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({name: "geolocation"}).then(function (status) {
      if (status.state === "granted") locate();
    }).catch(function () {});
  }
})();
