// The outbox: records submitted on the phone, sent when there is a connection. Runs in the pages and in the
// service worker (Background Sync). Nothing leaves the phone's storage before the server has said it has it.
//
// A record is sent as its photos first, one by one, each with its own client id, then the record naming
// them, with the record's client id (made when the form was first opened) as Idempotency-Key: a send repeated
// after a dropped answer is answered with the first result and creates nothing. A record the server refuses
// (4xx: reassigned, cancelled, not valid) stays on the phone with the server's message, to be fixed or
// discarded by the crew member; network failures and 5xx are retried with growing delays.
(function (root) {
  "use strict";
  var S = root.FieldStore;
  var running = null;
  var timer = null;
  var channel = root.BroadcastChannel ? new root.BroadcastChannel("municipal-outbox") : null;
  var listeners = [];
  var REFUSED = [400, 403, 404, 409, 410, 413, 415, 422];

  function announce(state) {
    listeners.forEach(function (listener) { listener(state); });
    if (channel) channel.postMessage(state);
  }

  function backoff(attempts) {
    var ceiling = Math.min(300000, 2000 * Math.pow(2, Math.min(attempts, 8)));
    return ceiling / 2 + Math.random() * ceiling / 2;
  }

  async function session() {
    var response;
    try {
      response = await fetch("/field/session", {headers: {Accept: "application/json"}, credentials: "same-origin",
                                                cache: "no-store"});
    } catch (e) {
      return {offline: true};
    }
    if (response.status === 401) return {signedOut: true};
    if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("json") < 0) return {offline: true};
    var body = await response.json();
    return {user: body.user, csrf: body.csrf_token};
  }

  async function outcome(response) {
    if (response.status === 401) return {signedOut: true};
    var error = null;
    try { error = (await response.json()).error; } catch (e) { error = null; }
    if (REFUSED.indexOf(response.status) >= 0 && error && error.code !== "http_400") {
      return {refused: {status: response.status, message: error.message, fields: error.fields || {}}};
    }
    return {retry: true};
  }

  function refField(field) {
    return field === "photos" ? "photos_ref" : field.replace(/^photo\./, "photo_ref.");
  }

  async function sendRecord(record, csrf) {
    for (var i = 0; i < record.photos.length; i++) {
      var photo = record.photos[i];
      if (photo.uploaded) continue;
      var upload = new FormData();
      upload.append("photo", photo.blob, photo.id + ".jpg");
      // A camera whose clock was never set says 1970: better no time than a photo the server refuses.
      if (photo.taken_at > 946684800000) upload.append("taken_at", String(Math.round(photo.taken_at)));
      if (photo.latitude && photo.longitude) {
        upload.append("latitude", photo.latitude);
        upload.append("longitude", photo.longitude);
      }
      var sent = await fetch("/api/v1/inspection-photos", {
        method: "POST", body: upload, credentials: "same-origin",
        headers: {"X-CSRFToken": csrf, "Idempotency-Key": photo.id, Accept: "application/json"}
      });
      if (!sent.ok) return outcome(sent);
      photo.uploaded = true;
      await S.put("records", record);
    }
    var body = new FormData();
    record.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    record.photos.forEach(function (photo) { body.append(refField(photo.field), photo.id); });
    var response = await fetch("/api/v1/work-orders/" + record.order + "/inspections", {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "Idempotency-Key": record.key, Accept: "application/json"}
    });
    if (response.ok) return {sent: true};
    var result = await outcome(response);
    // A photo sent ahead that the server no longer has: send the photos again next time.
    if (result.refused && Object.keys(result.refused.fields).some(function (f) { return /^photo/.test(f); })) {
      record.photos.forEach(function (p) { p.uploaded = false; });
    }
    return result;
  }

  async function pass(options) {
    var queued = (await S.all("records")).filter(function (r) { return r.state === "queued"; });
    if (!queued.length) return {sent: [], waiting: 0, refused: 0};  // nothing to send: the server is not asked
    var state = await session();
    if (state.offline || state.signedOut) return state;
    var records = (await S.all("records")).filter(function (r) { return r.state === "queued" && r.user === state.user; });
    var result = {user: state.user, sent: [], waiting: 0, refused: 0};
    for (var i = 0; i < records.length; i++) {
      var record = records[i];
      if (!options.force && record.next_try && record.next_try > Date.now()) { result.waiting++; continue; }
      var done;
      try {
        done = await sendRecord(record, state.csrf);
      } catch (e) {
        done = {retry: true};
      }
      if (done.sent) {
        await S.remove("records", record.key);
        result.sent.push(record.key);
      } else if (done.signedOut) {
        result.signedOut = true;
        return result;
      } else if (done.refused) {
        record.state = "refused";
        record.error = done.refused;
        await S.put("records", record);
        result.refused++;
      } else {
        record.attempts = (record.attempts || 0) + 1;
        record.next_try = Date.now() + backoff(record.attempts);
        await S.put("records", record);
        result.waiting++;
      }
    }
    return result;
  }

  function schedule() {
    if (typeof root.document === "undefined") return;  // the service worker has Background Sync instead
    clearTimeout(timer);
    S.all("records").then(function (records) {
      var next = records.filter(function (r) { return r.state === "queued"; })
        .map(function (r) { return r.next_try || 0; }).sort()[0];
      if (next !== undefined) timer = setTimeout(flush, Math.max(1000, next - Date.now()));
    });
  }

  // Sends what is waiting; one pass at a time in this page or worker (and across them where Web Locks exist).
  function flush(options) {
    options = options || {};
    if (running) return running;
    var work = function () { return pass(options); };
    var locked = root.navigator && root.navigator.locks
      ? root.navigator.locks.request("municipal-outbox", work) : work();
    running = locked.then(function (result) {
      running = null;
      announce(result);
      schedule();
      return result;
    }, function (error) {
      running = null;
      announce({error: String(error)});
      return {error: String(error)};
    });
    return running;
  }

  async function pending() {
    return (await S.all("records")).filter(function (r) { return r.state !== "draft"; });
  }

  function askForSync() {
    if (root.navigator && root.navigator.serviceWorker && root.navigator.serviceWorker.ready) {
      root.navigator.serviceWorker.ready.then(function (registration) {
        if (registration.sync) return registration.sync.register("municipal-outbox");
      }).catch(function () { /* no Background Sync: the online event and the next start send it */ });
    }
  }

  root.FieldOutbox = {
    flush: flush,
    pending: pending,
    askForSync: askForSync,
    onChange: function (listener) {
      listeners.push(listener);
      if (channel) channel.addEventListener("message", function (event) { listener(event.data); });
    },
    announce: announce
  };
})(self);
