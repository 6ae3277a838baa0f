// The playground's data: its input features and data sets (as TF Playground's dataset.ts: two
// classes, labels 0/1, points in [−6, 6]²), every random number from a seeded nn.js mulberry32.
// Python twin: app/nn/plane.py (tests/browser/test_playground_browser.py checks they agree).
(function (root) {
  "use strict";
  var FEATURES = {
    x1: { f: function (p) { return p[0]; }, label: "x₁", code: "x1" },
    x2: { f: function (p) { return p[1]; }, label: "x₂", code: "x2" },
    x1sq: { f: function (p) { return p[0] * p[0]; }, label: "x₁²", code: "x1 ** 2" },
    x2sq: { f: function (p) { return p[1] * p[1]; }, label: "x₂²", code: "x2 ** 2" },
    x1x2: { f: function (p) { return p[0] * p[1]; }, label: "x₁x₂", code: "x1 * x2" },
    sin1: { f: function (p) { return Math.sin(p[0]); }, label: "sin x₁", code: "np.sin(x1)" },
    sin2: { f: function (p) { return Math.sin(p[1]); }, label: "sin x₂", code: "np.sin(x2)" }
  };
  var ORDER = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sin1", "sin2"];

  // ---- the data sets (as in TF Playground's dataset.ts, labels 0/1, in [−6, 6]²) ----
  function uniform(rng, a, b) { return a + (b - a) * rng(); }
  function normal(rng, mean, variance) { // Box–Muller
    var u = 1 - rng(), v = rng();
    return mean + Math.sqrt(variance) * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  var DATASETS = {
    circle: function (n, noise, rng) {
      var pts = [], R = 5;
      [[0, 0.5 * R, 1], [0.7 * R, R, 0]].forEach(function (ring) {
        for (var i = 0; i < n / 2; i++) {
          var r = uniform(rng, ring[0], ring[1]), t = uniform(rng, 0, 2 * Math.PI);
          pts.push([r * Math.sin(t) + uniform(rng, -R, R) * noise, r * Math.cos(t) + uniform(rng, -R, R) * noise, ring[2]]);
        }
      });
      return pts;
    },
    xor: function (n, noise, rng) {
      var pts = [];
      for (var i = 0; i < n; i++) {
        var x = uniform(rng, -5, 5), y = uniform(rng, -5, 5);
        x += x > 0 ? 0.3 : -0.3; y += y > 0 ? 0.3 : -0.3;
        pts.push([x + uniform(rng, -5, 5) * noise, y + uniform(rng, -5, 5) * noise, x * y >= 0 ? 1 : 0]);
      }
      return pts;
    },
    gauss: function (n, noise, rng) {
      var pts = [], variance = 0.5 + 3.5 * noise;
      for (var i = 0; i < n / 2; i++) pts.push([normal(rng, 2, variance), normal(rng, 2, variance), 1]);
      for (i = 0; i < n / 2; i++) pts.push([normal(rng, -2, variance), normal(rng, -2, variance), 0]);
      return pts;
    },
    spiral: function (n, noise, rng) {
      var pts = [], m = n / 2;
      [[0, 1], [Math.PI, 0]].forEach(function (arm) {
        for (var i = 0; i < m; i++) {
          var r = i / m * 5, t = 1.75 * i / m * 2 * Math.PI + arm[0];
          pts.push([r * Math.sin(t) + uniform(rng, -1, 1) * noise, r * Math.cos(t) + uniform(rng, -1, 1) * noise, arm[1]]);
        }
      });
      return pts;
    }
  };

  root.PlaygroundData = { FEATURES: FEATURES, ORDER: ORDER, DATASETS: DATASETS };
})(window);
