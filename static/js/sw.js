// The crew app's service worker, served from /sw.js (scope: the whole site). The server writes PRECACHE (the
// shell files with their content hashes), OFFLINE_PAGE and WORKBOX_PREFIX in front of this file.
//
// - The shell (CSS, scripts, icons, the offline page) is kept on install and replaced when a file changes.
// - The crew's pages (My work, a work order, its record form, a facility, the scanner) are fetched from the
//   network first and kept, so the last version opens without a connection; the offline pack (mywork.js)
//   fills the same cache ahead of time.
// - Any other page asked for offline gets the offline page instead of the browser's own error.
// - Background Sync: the outbox (outbox.js) is sent from here too, when the browser says the connection is back.
/* global workbox, importScripts */
importScripts(self.WORKBOX_PREFIX + "workbox-sw.js");
importScripts.apply(self, self.SCRIPTS);  // store.js and outbox.js: the outbox, sent from here by Background Sync
workbox.setConfig({modulePathPrefix: self.WORKBOX_PREFIX, debug: false});

var PAGES = "field-pages";
var STATIC = "field-static";
var FIELD_PAGES = /^\/(work\/mine|work\/\d+|work\/\d+\/record|assets\/\d+|scan|field\/map)$/;

self.skipWaiting();
workbox.core.clientsClaim();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute(self.PRECACHE, {ignoreURLParametersMatching: [/.*/]});

self.addEventListener("sync", function (event) {
  if (event.tag !== "municipal-outbox") return;
  event.waitUntil(self.FieldOutbox.flush({force: true}).then(function (result) {
    // Rejected: the browser tries the sync again later, with its own backoff.
    if (result && (result.waiting || result.offline || result.error)) throw new Error("outbox not empty");
  }));
});

// Only a page the server really answered is kept: never a redirect to the sign-in page, never an error.
var onlyRealPages = {
  cacheWillUpdate: function (args) {
    var r = args.response;
    return Promise.resolve(r && r.status === 200 && r.type === "basic" && !r.redirected ? r : null);
  }
};

workbox.routing.registerRoute(function (ctx) {
  return ctx.request.mode === "navigate" && ctx.url.origin === self.location.origin && FIELD_PAGES.test(ctx.url.pathname);
}, new workbox.strategies.NetworkFirst({cacheName: PAGES, networkTimeoutSeconds: 8, plugins: [onlyRealPages],
                                        matchOptions: {ignoreVary: true, ignoreSearch: true}}));

workbox.routing.registerRoute(function (ctx) {
  return ctx.request.mode === "navigate";
}, new workbox.strategies.NetworkOnly());

workbox.routing.registerRoute(function (ctx) {
  return ctx.url.origin === self.location.origin && ctx.url.pathname.indexOf("/static/") === 0;
}, new workbox.strategies.StaleWhileRevalidate({cacheName: STATIC, plugins: [onlyRealPages]}));

workbox.routing.setCatchHandler(function (ctx) {
  if (ctx.request.mode === "navigate") {
    return workbox.precaching.matchPrecache(self.OFFLINE_PAGE).then(function (page) {
      return page || Response.error();
    });
  }
  return Promise.resolve(Response.error());
});
