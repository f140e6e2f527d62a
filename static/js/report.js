// The citizen report form: "Add my location" fills the position fields from the phone.
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (p) {
      document.querySelector("[name=lon]").value = p.coords.longitude.toFixed(6);
      document.querySelector("[name=lat]").value = p.coords.latitude.toFixed(6);
      var located = document.getElementById("located");
      located.textContent = located.getAttribute("data-done");
    });
  });
})();
