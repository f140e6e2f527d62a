// The board: its counts, read after the rows (counting a large board takes longer than its first page), and
// "select all matching": ticking it ticks the rows shown (the server takes every matching work order, on
// every page); unticking a row unticks it, since the selection is then no longer "all".
(function () {
  "use strict";
  var summary = document.getElementById("board-summary");
  if (summary) {
    fetch(summary.getAttribute("data-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) return;
        document.getElementById("match-count").textContent = counts.words.match;
        document.getElementById("overdue-count").textContent = counts.words.overdue ? "· " + counts.words.overdue : "";
        var label = document.getElementById("select-all-label");
        if (label) label.textContent = counts.words.select;
        document.querySelectorAll("b[data-status]").forEach(function (cell) {
          cell.textContent = counts.by_status[cell.getAttribute("data-status")];
        });
        summary.setAttribute("data-total", counts.total);
      })
      .catch(function () { /* the counts are a help: the board works without them */ });
  }
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
