// The record form on the phone. Everything typed or photographed is saved on the phone (IndexedDB) as it is
// filled in, so a closed browser, an expired session or a refusal never loses it; reopening the form restores
// it. Submitting puts the record in the outbox (outbox.js), which sends it now or when the connection returns.
// Photos are made smaller on the phone (longest side 1,600 px, JPEG 0.8, turned upright) before they are kept.
// The phone's position is asked for when the form opens (kept as the start's) and again on submission; each
// photo keeps when it was taken and the last position known then, sent with it.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  var config = document.getElementById("record-config");
  if (!form || !config || !window.FieldStore || !window.indexedDB) return;
  config = JSON.parse(config.textContent);
  var W = window.FieldWords || {};
  var S = window.FieldStore;
  var banner = document.getElementById("record-banner");
  var status = document.getElementById("position-status");
  var record = null;
  var saving = null;
  var photoWork = Promise.resolve();  // photos being made smaller, one after the other

  function say(text, kind) {
    banner.textContent = text;
    banner.className = "flash " + (kind || "info");
    banner.hidden = !text;
    if (text && banner.scrollIntoView) banner.scrollIntoView({block: "center"});
  }

  // --- position: at the start and again at submission -----------------------------------------------------
  function locate(done) {
    if (!navigator.geolocation) { if (done) done(); return; }
    if (!form.latitude.value) status.textContent = status.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.latitude.value = position.coords.latitude;
      form.longitude.value = position.coords.longitude;
      form.accuracy_m.value = Math.round(position.coords.accuracy);
      // The first position of the record, kept as it was: where the crew member was when they started.
      if (!done && !form.start_latitude.value) {
        form.start_latitude.value = form.latitude.value;
        form.start_longitude.value = form.longitude.value;
        form.start_accuracy_m.value = form.accuracy_m.value;
      }
      status.textContent = status.dataset.found.replace("{m}", Math.round(position.coords.accuracy));
      save();
      if (done) done();
    }, function () {
      if (!form.latitude.value) status.textContent = status.dataset.none;
      if (done) done();
    }, {enableHighAccuracy: true, timeout: done ? 8000 : 20000, maximumAge: done ? 0 : 60000});
  }

  // --- the draft -------------------------------------------------------------------------------------------
  function fields() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token" && name !== "idempotency_key") pairs.push([name, value]);
    });
    return pairs;
  }

  function restore(pairs) {
    var byName = {};
    pairs.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.type === "file" || element.name === "csrf_token" || element.name === "idempotency_key") return;
      var values = byName[element.name];
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = !!values && values.indexOf(element.value) >= 0;
      } else if (values) {
        element.value = values[0];
      }
    });
    form.dispatchEvent(new Event("restored"));
  }

  function save() {
    if (!record || record.state === "queued") return Promise.resolve();
    record.fields = fields();
    record.updated_at = Date.now();
    saving = S.put("records", record);
    return saving;
  }

  var pending = null;
  function saveSoon() {
    clearTimeout(pending);
    pending = setTimeout(save, 250);
  }

  // --- photos ----------------------------------------------------------------------------------------------
  function downscale(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () {
        // Browsers draw a photo upright by its EXIF orientation (image-orientation: from-image).
        var scale = Math.min(1, 1600 / Math.max(image.naturalWidth, image.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(image.naturalWidth * scale);
        canvas.height = Math.round(image.naturalHeight * scale);
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("encode")); }, "image/jpeg", 0.8);
      };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      image.src = url;
    });
  }

  function thumbsOf(input) {
    var box = input.parentNode.querySelector(".thumbs");
    if (!box) {
      box = document.createElement("div");
      box.className = "thumbs";
      input.parentNode.appendChild(box);
    }
    return box;
  }

  function showPhoto(photo) {
    var input = form.querySelector('input[type=file][name="' + photo.field + '"]');
    if (!input) return;
    var figure = document.createElement("span");
    figure.className = "thumb";
    var img = document.createElement("img");
    img.src = URL.createObjectURL(photo.blob);
    img.alt = "";
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", W.remove_photo || "Remove");
    remove.addEventListener("click", function () {
      record.photos = record.photos.filter(function (p) { return p.id !== photo.id; });
      figure.remove();
      save();
    });
    figure.appendChild(img);
    figure.appendChild(remove);
    thumbsOf(input).appendChild(figure);
  }

  function fieldError(input, text) {
    var note = input.parentNode.querySelector(".photo-error");
    if (!note) {
      note = document.createElement("span");
      note.className = "error photo-error";
      note.setAttribute("role", "alert");
      input.parentNode.appendChild(note);
    }
    note.textContent = text;
    note.hidden = !text;
  }

  // Where the phone is as a photo is taken: asked afresh (the start's position may be down the road), given to
  // the photos when it comes; until then, and without one, they have the last position known.
  function here() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        form.latitude.value = position.coords.latitude;
        form.longitude.value = position.coords.longitude;
        form.accuracy_m.value = Math.round(position.coords.accuracy);
        resolve(position);
      }, function () { resolve(null); }, {enableHighAccuracy: true, timeout: 8000, maximumAge: 0});
    });
  }

  async function addPhotos(input, files) {
    fieldError(input, "");
    var fresh = here();
    var batch = [];
    for (var i = 0; i < files.length; i++) {
      var file = files[i];
      if (!/^image\//.test(file.type)) { fieldError(input, W.not_image); continue; }
      var blob;
      try { blob = await downscale(file); } catch (e) { fieldError(input, W.not_image); continue; }
      var photo = {
        id: crypto.randomUUID(), field: input.name, blob: blob, uploaded: false,
        taken_at: file.lastModified || Date.now(),
        latitude: form.latitude.value || null, longitude: form.longitude.value || null
      };
      record.photos.push(photo);
      batch.push(photo);
      showPhoto(photo);
      await save();
    }
    var position = await fresh;
    if (position && batch.length) {
      batch.forEach(function (photo) {
        photo.latitude = position.coords.latitude;
        photo.longitude = position.coords.longitude;
      });
      await save();
    }
  }

  // --- errors the server gave, shown where they belong -------------------------------------------------------
  function showRefusal(error) {
    say((W.refused || "") + " " + error.message, "error");
    form.querySelectorAll(".server-error").forEach(function (n) { n.remove(); });
    Object.keys(error.fields || {}).forEach(function (name) {
      var key = name.replace(/^(item|photo|repair)\./, "");
      var holder = document.getElementById("item-" + key) ||
        (form.elements[name] && (form.elements[name].closest ? form.elements[name].closest("label,div") : null));
      var note = document.createElement("span");
      note.className = "error server-error";
      note.setAttribute("role", "alert");
      note.textContent = error.fields[name];
      if (holder) { holder.classList.add("invalid"); holder.appendChild(note); }
      else banner.appendChild(document.createTextNode(" " + name + ": " + error.fields[name]));
    });
  }

  // --- submitting -----------------------------------------------------------------------------------------
  async function submit(event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    await photoWork;
    await new Promise(function (resolve) { locate(resolve); });
    record.fields = fields();
    record.state = "queued";
    record.error = null;
    record.attempts = 0;
    record.next_try = 0;
    record.submitted_at = Date.now();
    await S.put("records", record);
    say(W.sending);
    window.FieldOutbox.askForSync();
    var result = await window.FieldOutbox.flush({force: true});
    var stored = await S.get("records", record.key);
    if (!stored) {
      window.location.assign(config.done_url);
      return;
    }
    record = stored;
    if (record.state === "refused") {
      showRefusal(record.error);
      button.disabled = false;
    } else if (result && result.signedOut) {
      say(W.sign_in_to_send, "error");
      showSignIn();
    } else {
      say(W.saved_queued);
      button.disabled = true;
    }
  }

  function showSignIn() {
    var link = document.createElement("a");
    link.href = "/login?next=" + encodeURIComponent(window.location.pathname);
    link.textContent = " " + (W.sign_in || "");
    banner.appendChild(link);
  }

  // --- opening the form ------------------------------------------------------------------------------------
  async function open() {
    var mine = (await S.ofOrder(config.order)).filter(function (r) { return r.user === config.user; });
    var queued = mine.filter(function (r) { return r.state === "queued"; })[0];
    record = mine.filter(function (r) { return r.state !== "queued"; })[0] || null;
    if (queued) {
      record = queued;
      restore(queued.fields);
      queued.photos.forEach(showPhoto);
      say(W.queued_here);
      form.querySelector("button[type=submit]").disabled = true;
      return;
    }
    if (record) {
      restore(record.fields);
      record.photos.forEach(showPhoto);
      if (record.state === "refused") showRefusal(record.error);
      else say(W.draft_restored);
    } else {
      record = {key: window.crypto && crypto.randomUUID ? crypto.randomUUID() : config.key, order: config.order, user: config.user, state: "draft", fields: fields(), photos: [],
                created_at: Date.now(), title: config.title, url: window.location.pathname, done_url: config.done_url,
                attempts: 0};
      await S.put("records", record);
    }
    form.idempotency_key.value = record.key;
  }

  // --- a form for a thumb: 全部正常, and the photo and repair fields only where there is a problem ------------
  function markProblems() {
    form.querySelectorAll(".item").forEach(function (item) {
      var problem = item.querySelector("input[type=radio][value=fail]:checked, input[type=radio][data-finding]:checked");
      item.classList.toggle("problem", !!problem);
    });
  }
  form.classList.add("js");
  var allOk = document.getElementById("all-ok");
  if (allOk) {
    allOk.addEventListener("click", function () {
      form.querySelectorAll(".item").forEach(function (item) {
        var ok = item.querySelector("input[type=radio][value=pass]") ||
          item.querySelector("input[type=radio]:not([data-finding])");
        if (ok && !item.querySelector("input[type=radio]:checked")) ok.checked = true;
      });
      markProblems();
      save();
    });
  }
  form.addEventListener("change", markProblems);
  form.addEventListener("restored", markProblems);
  markProblems();

  form.addEventListener("input", saveSoon);
  form.addEventListener("change", function (event) {
    if (event.target.type === "file") {
      var input = event.target;
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";  // kept on the phone, not in the input: the outbox sends them
      photoWork = photoWork.then(function () { return addPhotos(input, files); });
    }
    else saveSoon();
  });
  form.addEventListener("submit", submit);
  window.addEventListener("pagehide", save);
  open().then(function () {
    form.dataset.ready = "1";
    if (!form.latitude.value) locate();
  });
})();
