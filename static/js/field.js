// On every staff page: the crew app's service worker (static/js/sw.js, served from /sw.js), the count of
// records waiting to be sent (待发送) in the menu, and sending them: at every start of the app, when the
// connection returns, and by Background Sync where the browser has it. The words come from the page
// (#field-words), translated by the server.
(function () {
  "use strict";
  var words = document.getElementById("field-words");
  window.FieldWords = words ? JSON.parse(words.textContent) : {};
  var W = window.FieldWords;

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* the app still works online */ });
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    });
  }
  if (!window.FieldOutbox || !window.indexedDB) return;

  var link = document.getElementById("outbox-link");
  var count = document.getElementById("outbox-count");
  var notice = document.getElementById("field-notice");

  function refresh(state) {
    window.FieldOutbox.pending().then(function (records) {
      if (link) {
        link.hidden = records.length === 0;
        count.textContent = records.length;
        link.classList.toggle("has-refused", records.some(function (r) { return r.state === "refused"; }));
      }
      if (notice && state && state.signedOut && records.length) {
        notice.hidden = false;
        notice.textContent = W.sign_in_to_send + " ";
        var signIn = document.createElement("a");
        signIn.href = "/login?next=" + encodeURIComponent(window.location.pathname);
        signIn.textContent = W.sign_in;
        notice.appendChild(signIn);
      }
    });
  }

  window.FieldOutbox.onChange(refresh);
  window.addEventListener("online", function () { window.FieldOutbox.flush({force: true}); });
  refresh();
  window.FieldOutbox.flush();
})();
