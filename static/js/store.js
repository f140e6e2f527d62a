// The crew app's storage on the phone (IndexedDB), for the pages and the service worker alike.
// records: a record form's draft and, once submitted, the outbox entry (key = the record's client id);
// meta: small facts such as when the offline pack was last updated.
(function (root) {
  "use strict";
  var NAME = "municipal-field";
  var VERSION = 1;
  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(NAME, VERSION);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains("records")) {
            db.createObjectStore("records", {keyPath: "key"}).createIndex("order", "order");
          }
          if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", {keyPath: "name"});
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  function run(store, mode, action) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var request = action(tx.objectStore(store));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  root.FieldStore = {
    get: function (store, key) { return run(store, "readonly", function (s) { return s.get(key); }); },
    put: function (store, value) { return run(store, "readwrite", function (s) { return s.put(value); }); },
    remove: function (store, key) { return run(store, "readwrite", function (s) { return s["delete"](key); }); },
    all: function (store) { return run(store, "readonly", function (s) { return s.getAll(); }); },
    ofOrder: function (order) {
      return run("records", "readonly", function (s) { return s.index("order").getAll(order); });
    }
  };
})(self);
