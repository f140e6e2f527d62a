// The facility page's water chart: the water level with its reference lines, and rainfall as bars beneath,
// over 7 days, a season, a year or all, from the readings API (downsampled on the server). uPlot draws it.
(function () {
  "use strict";
  var box = document.getElementById("readings-chart");
  if (!box || !window.uPlot) return;
  var url = box.dataset.url, lines = JSON.parse(box.dataset.lines), labels = JSON.parse(box.dataset.labels);
  var first = box.dataset.first ? Number(box.dataset.first) : null;
  // The server's now, not the phone's: a phone's clock may be wrong, and the platform's is the one that counts.
  var now = Number(box.dataset.now), opened = Date.now();
  var DAY = 86400;
  // What each range reads: how far back, and the buckets of each kind (null: raw or as the server chooses).
  var RANGES = {
    week: {days: 7, level: null, rain: "1h"},
    season: {days: 92, level: "1h", rain: "1d"},
    year: {days: 366, level: "1d", rain: "1d"},
    all: {days: null, level: "1d", rain: "7d"}
  };
  var charts = [];

  function query(kind, from, to, every) {
    var params = new URLSearchParams({kind: kind, from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString()});
    if (every) params.set("every", every);
    return fetch(url + "?" + params, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); });
  }

  function referenceLines(u) {
    var ctx = u.ctx;
    [["flood_limit", "#c53030"], ["normal", "#2f855a"], ["crest", "#4a5568"]].forEach(function (pair) {
      var value = lines[pair[0]];
      if (value === null || value === undefined) return;
      var y = Math.round(u.valToPos(value, "y", true));
      if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
      ctx.save();
      ctx.strokeStyle = pair[1];
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
      ctx.restore();
    });
  }

  function levelRange(u, low, high) {
    [lines.flood_limit, lines.normal].forEach(function (value) {
      if (value !== null && value !== undefined) { low = Math.min(low, value); high = Math.max(high, value); }
    });
    if (low === null || high === null) return [0, 1];
    var pad = Math.max((high - low) * 0.08, 0.1);
    return [low - pad, high + pad];
  }

  function draw(level, rain, from, to) {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    box.textContent = "";
    if (!level.points.length && !rain.points.length) {
      var empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = labels.empty;
      box.appendChild(empty);
      return;
    }
    var width = box.clientWidth;
    var x = {time: true, range: function () { return [from, to]; }};
    charts.push(new uPlot({
      width: width, height: 200, scales: {x: x, y: {range: levelRange}},
      series: [{}, {label: labels.level, stroke: "#2b6cb0", width: 2, spanGaps: false},
               {label: "min", stroke: "rgba(43,108,176,.35)", width: 1}, {label: "max", stroke: "rgba(43,108,176,.35)", width: 1}],
      legend: {show: false}, axes: [{}, {size: 46, label: labels.level}],
      hooks: {draw: [referenceLines]}
    }, [level.points.map(function (p) { return p[0]; }), level.points.map(function (p) { return p[2]; }),
        level.points.map(function (p) { return p[1]; }), level.points.map(function (p) { return p[3]; })], box));
    var sums = rain.sums || [];
    charts.push(new uPlot({
      width: width, height: 110, scales: {x: x, y: {range: function (u, low, high) { return [0, Math.max(high || 0, 1)]; }}},
      series: [{}, {label: labels.rain, fill: "rgba(49,130,206,.55)", stroke: "#3182ce", width: 0,
                    paths: uPlot.paths.bars({size: [0.8, 12]})}],
      legend: {show: false}, axes: [{show: true}, {size: 46, label: labels.rain}]
    }, [rain.points.map(function (p) { return p[0]; }), sums], box));
  }

  function show(name) {
    var range = RANGES[name], to = now + Math.floor((Date.now() - opened) / 1000);
    var from = range.days ? to - range.days * DAY : (first || to - 7 * DAY);
    // More than ten years of days is too many for a phone: weeks then.
    var levelEvery = range.level === "1d" && (to - from) / DAY > 3660 ? "7d" : range.level;
    Promise.all([query("water_level", from, to, levelEvery), query("rainfall", from, to, range.rain)])
      .then(function (answers) { draw(answers[0], answers[1], from, to); })
      .catch(function () { box.textContent = labels.failed; });
    document.querySelectorAll(".chart-ranges [data-range]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.range === name));
    });
  }

  document.querySelectorAll(".chart-ranges [data-range]").forEach(function (button) {
    button.addEventListener("click", function () { show(button.dataset.range); });
  });
  show("week");
})();
