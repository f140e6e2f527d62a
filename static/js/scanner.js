// The in-app scanner (/scan): the camera, read by the browser's own BarcodeDetector where it has one (Android),
// otherwise by the barcode-detector polyfill (ZXing in WebAssembly, our vendored copy, loaded only then: iPhones,
// desktop). A torch button where the camera has one. A code can be typed too, checked by its check character
// before anything is asked of the server. A code read opens the facility's staff page (/A/<code>); without a
// connection, the facility's page kept with the offline pack.
(function () {
  "use strict";
  var video = document.getElementById("scan-video");
  if (!video) return;
  var config = JSON.parse(document.getElementById("scan-config").textContent);
  var W = JSON.parse(document.getElementById("scan-words").textContent);
  var status = document.getElementById("scan-status");
  var torch = document.getElementById("scan-torch");
  var form = document.getElementById("scan-manual");
  var input = document.getElementById("scan-code");
  var errorBox = document.getElementById("scan-error");
  var stream = null;
  var busy = false;
  var ignored = {};  // codes just refused: not read again at once
  var VALUES = {};
  config.alphabet.split("").forEach(function (c, i) { VALUES[c] = i; });

  // Luhn mod 32 over the Crockford alphabet, as municipal/assets/identity/codes.py.
  function checkChar(payload) {
    var n = config.alphabet.length, total = 0, factor = 2;
    for (var i = payload.length - 1; i >= 0; i--) {
      var addend = factor * VALUES[payload[i]];
      total += Math.floor(addend / n) + addend % n;
      factor = factor === 2 ? 1 : 2;
    }
    return config.alphabet[(n - total % n) % n];
  }

  function normalize(text) {
    var compact = String(text).replace(/\s+/g, "").toUpperCase().replace(/-/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
    var prefixLength = compact.length - config.body_length - 1;
    if (prefixLength < 1) return null;
    var prefix = compact.slice(0, prefixLength);
    if (config.prefixes.indexOf(prefix) < 0) return null;
    var rest = compact.slice(prefixLength);
    for (var i = 0; i < rest.length; i++) if (!(rest[i] in VALUES)) return null;
    var body = rest.slice(0, config.body_length), check = rest.slice(config.body_length);
    if (checkChar(prefix + body) !== check) return null;
    return prefix + "-" + body + "-" + check;
  }

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "muted";
  }

  function refuse(text, code) {
    say(text, true);
    errorBox.textContent = text;
    errorBox.hidden = false;
    if (code) { input.value = code; ignored[code] = Date.now(); }
    input.focus();
    busy = false;
  }

  async function openOffline(code) {
    var pack = window.FieldStore ? await window.FieldStore.get("meta", "pack").catch(function () { return null; }) : null;
    var page = pack && pack.codes && pack.codes[code];
    if (page) window.location.assign(page);
    else refuse(W.offline_unknown, code);
  }

  async function open(code) {
    busy = true;
    errorBox.hidden = true;
    say(W.found.replace("{code}", code));
    if (navigator.onLine === false) return openOffline(code);
    var response;
    try {
      response = await fetch("/api/v1/codes/" + encodeURIComponent(code),
                             {headers: {Accept: "application/json"}, credentials: "same-origin"});
    } catch (e) {
      return openOffline(code);
    }
    if (response.status === 404) return refuse(W.unknown, code);
    if (response.ok) {
      var found = await response.json();
      if (found.status === "revoked") {
        return refuse(W.revoked + (found.replaced_by ? " " + W.replaced.replace("{code}", found.replaced_by) : ""), code);
      }
    }
    stop();
    window.location.assign("/A/" + code);
  }

  function read(raw) {
    if (busy) return;
    var text = String(raw || "").trim();
    var match = text.match(/\/A\/([^\/?#\s]+)\/?$/i);
    if (!match && /^[a-z]+:\/\//i.test(text)) { if (!ignored[text]) { ignored[text] = 1; say(W.not_ours, true); } return; }
    var code = normalize(match ? decodeURIComponent(match[1]) : text);
    if (!code) { if (!ignored[text]) { ignored[text] = 1; say(W.invalid, true); } return; }
    if (ignored[code] && Date.now() - ignored[code] < 4000) return;
    open(code);
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  async function detector() {
    window.FieldScanner.engine = "native";
    if (!("BarcodeDetector" in window)) {
      window.FieldScanner.engine = "polyfill";
      await loadScript(config.polyfill);
      // The polyfill would fetch its decoder from a CDN: ours instead.
      window.BarcodeDetectionAPI.setZXingModuleOverrides({
        locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? config.wasm : prefix + path; }
      });
    }
    return new window.BarcodeDetector({formats: ["qr_code"]});
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
  }

  async function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return say(W.no_camera, true);
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: {ideal: "environment"}}, audio: false});
    } catch (e) {
      return say(W.no_camera, true);
    }
    video.srcObject = stream;
    await video.play().catch(function () {});
    var track = stream.getVideoTracks()[0];
    var capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
    if (capabilities.torch) {
      torch.hidden = false;
      torch.addEventListener("click", function () {
        var on = torch.getAttribute("aria-pressed") !== "true";
        track.applyConstraints({advanced: [{torch: on}]}).then(function () {
          torch.setAttribute("aria-pressed", String(on));
        }).catch(function () { torch.hidden = true; });
      });
    }
    var reader;
    try { reader = await detector(); } catch (e) { return say(W.no_camera, true); }
    say(W.aim);
    (async function loop() {
      if (!stream) return;
      if (!busy && video.readyState >= 2) {
        try {
          var found = await reader.detect(video);
          if (found.length) read(found[0].rawValue);
        } catch (e) { /* a frame that could not be read: the next one */ }
      }
      setTimeout(loop, 200);
    })();
  }

  window.FieldScanner = {engine: null, normalize: normalize, read: read};
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = normalize(input.value);
    if (!code) return refuse(W.invalid);
    open(code);
  });
  window.addEventListener("pagehide", stop);
  start();
})();
