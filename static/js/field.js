// On every staff page: installs the crew app's service worker (static/js/sw.js, served from /sw.js) and asks
// the browser to keep the app's storage (Safari otherwise wipes it after a week without a visit).
(function () {
  if (!("serviceWorker" in navigator)) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* the app still works online */ });
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  });
})();
