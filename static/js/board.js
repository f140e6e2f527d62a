// The board's "select all matching": ticking it ticks the rows shown (the server takes every matching work
// order, on every page); unticking a row unticks it, since the selection is then no longer "all".
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) return;
  var rows = function () { return document.querySelectorAll('input[name="ids"][form="bulk"]'); };
  all.addEventListener("change", function () {
    rows().forEach(function (box) { box.checked = all.checked; });
  });
  rows().forEach(function (box) {
    box.addEventListener("change", function () { if (!box.checked) all.checked = false; });
  });
})();
