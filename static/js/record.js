// The record page: asks the phone for its position while the crew fills in the checklist, and
// keeps a double tap from sending twice (the server would answer a repeat with the first record anyway).
(function () {
  var form = document.getElementById("record-form");
  if (!form) return;
  var status = document.getElementById("position-status");
  function show(text) { status.textContent = text; }
  if (navigator.geolocation && !form.latitude.value) {
    show(status.dataset.waiting);
    navigator.geolocation.getCurrentPosition(function (position) {
      form.latitude.value = position.coords.latitude;
      form.longitude.value = position.coords.longitude;
      form.accuracy_m.value = Math.round(position.coords.accuracy);
      show(status.dataset.found.replace("{m}", Math.round(position.coords.accuracy)));
    }, function () { show(status.dataset.none); }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    setTimeout(function () { button.disabled = true; }, 0);
  });
})();
