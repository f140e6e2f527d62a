/* WGS-84 <-> GCJ-02 for maps whose tiles are GCJ-02 (AMap): the same formulas as municipal/geo/datums.py. */
(function (global) {
  "use strict";
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;

  function outside(lon, lat) { return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271); }

  function shiftLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    return r + (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
  }

  function shiftLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    return r + (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
  }

  function toGcj(lon, lat) {
    if (outside(lon, lat)) return [lon, lat];
    var dLat = shiftLat(lon - 105, lat - 35), dLon = shiftLon(lon - 105, lat - 35);
    var rad = lat / 180 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * PI);
    dLon = (dLon * 180) / (A / sq * Math.cos(rad) * PI);
    return [lon + dLon, lat + dLat];
  }

  function toWgs(lon, lat) {
    var w = [lon, lat];
    for (var i = 0; i < 20; i++) {
      var g = toGcj(w[0], w[1]);
      w = [w[0] - (g[0] - lon), w[1] - (g[1] - lat)];
    }
    return w;
  }

  global.MunicipalDatums = { wgs84ToGcj02: toGcj, gcj02ToWgs84: toWgs };
})(window);
