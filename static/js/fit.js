// /fit: train ŷ(x) = Σⱼ vⱼ·φ(wⱼx + bⱼ) + c live with nn.js (full-batch SGD on the MSE, as
// POST /api/fit does with app/nn/mlp.py), draw the fit over the target, each neuron's piece under
// it, and the loss. The settings form is htmx: a change swaps #fit-lab and training starts again.
(function () {
  "use strict";
  var XR = [-Math.PI, Math.PI], YR = [-1.6, 1.6], FRAME_MS = 14, GRID = 121;
  var lab = null, playing = false;

  function setup(root) {
    var pts = JSON.parse(root.dataset.points), H = +root.dataset.hidden, seed = +root.dataset.seed;
    var X = pts.map(function (p) { return [p[0]]; }), T = pts.map(function (p) { return [p[1]]; });
    var net = NN.mlp([1, H, 1], [root.dataset.activation, "linear"], { seed: seed, biasScale: +root.dataset.biasScale });
    var trainer = NN.trainer(net, X, T, { loss: "mse", seed: seed });
    var s = {
      root: root, pts: pts, net: net, trainer: trainer, lr: +root.dataset.lr, hist: Plot.history(400),
      strings: JSON.parse(root.dataset.strings), mse: trainer.loss(), stepsPerSecond: 0, drawing: null,
      grid: Array.from({ length: GRID }, function (_, i) { return XR[0] + (XR[1] - XR[0]) * i / (GRID - 1); })
    };
    s.hist.add(0, s.mse);
    return s;
  }

  function step(n) {
    for (var i = 0; i < n; i++) {
      lab.mse = lab.trainer.step(lab.lr, 0);  // the loss before this step, on every point
      lab.hist.add(lab.trainer.steps, lab.mse);
    }
  }

  function colors(n) {
    return Array.from({ length: n }, function (_, j) { return "hsl(" + Math.round(360 * j / n) + " 70% 50%)"; });
  }

  function draw() {
    var s = lab, accent = Plot.css("--accent", "#06f"), fg = Plot.css("--fg", "#000");
    var v = Plot.view(document.getElementById("fit-canvas"), XR, YR);
    v.clear();
    v.axes([-3, -2, -1, 0, 1, 2, 3], [-1.5, -1, -0.5, 0, 0.5, 1, 1.5]);
    var xs = s.pts.map(function (p) { return p[0]; }), ys = s.pts.map(function (p) { return p[1]; });
    if (!s.drawing) v.dots(xs, ys, fg, 2.6);
    var out = s.net.forward(s.grid.map(function (x) { return [x]; }));
    var hidden = s.net.cache[1].a, V = s.net.layers[1].W[0];
    v.line(s.grid, out.map(function (r) { return r[0]; }), accent, 4);
    if (s.drawing && s.drawing.length) {
      v.line(s.drawing.map(function (p) { return p[0]; }), s.drawing.map(function (p) { return p[1]; }), fg, 3, [6, 4]);
    }
    // each neuron's piece vⱼ·φ(wⱼx + bⱼ), then their sum + c dashed
    var pv = Plot.view(document.getElementById("fit-pieces"), XR, YR), cols = colors(V.length);
    pv.clear();
    pv.axes([-3, -2, -1, 0, 1, 2, 3], [-1.5, -1, -0.5, 0, 0.5, 1, 1.5]);
    for (var j = 0; j < V.length; j++) {
      pv.line(s.grid, hidden.map(function (h) { return V[j] * h[j]; }), cols[j], 2);
    }
    pv.line(s.grid, out.map(function (r) { return r[0]; }), fg, 2.5, [7, 5]);
    Plot.lossChart(document.getElementById("fit-loss"), s.hist);
    var stepsEl = document.getElementById("fit-steps"), mseEl = document.getElementById("fit-mse");
    stepsEl.textContent = s.trainer.steps; stepsEl.dataset.steps = s.trainer.steps;
    mseEl.textContent = s.mse.toPrecision(3); mseEl.dataset.mse = s.mse;
  }

  function loop(now) {  // as many steps as fit in FRAME_MS, then one picture; stepsPerSecond is wall-clock
    if (!playing || !lab) return;
    var t0 = performance.now(), n = 0;
    while (performance.now() - t0 < FRAME_MS) { step(5); n += 5; }
    if (lab.lastFrame) {
      var rate = n / (now - lab.lastFrame) * 1000;
      lab.stepsPerSecond = lab.stepsPerSecond ? 0.95 * lab.stepsPerSecond + 0.05 * rate : rate;
    }
    lab.lastFrame = now;
    draw();
    requestAnimationFrame(loop);
  }

  function setPlaying(on) {
    playing = on;
    var b = document.getElementById("fit-play");
    if (b) { b.setAttribute("aria-pressed", on ? "true" : "false"); b.textContent = (on ? "⏸ " : "▶ ") + lab.strings[on ? "fit.pause" : "fit.play"]; }
    if (lab) lab.lastFrame = 0;
    if (on) requestAnimationFrame(loop);
  }

  // Drawing a target with a finger: resampled to the DRAW_POINTS grid, sent as ?target=drawn&draw=…
  function resample(points, n) {
    points.sort(function (a, b) { return a[0] - b[0]; });
    return Array.from({ length: n }, function (_, i) {
      var x = XR[0] + (XR[1] - XR[0]) * i / (n - 1), k = 0;
      if (x <= points[0][0]) return points[0][1];
      if (x >= points[points.length - 1][0]) return points[points.length - 1][1];
      while (points[k + 1][0] < x) k++;
      var a = points[k], b = points[k + 1], t = b[0] === a[0] ? 0 : (x - a[0]) / (b[0] - a[0]);
      return a[1] + t * (b[1] - a[1]);
    }).map(function (y) { return Math.max(-1.5, Math.min(1.5, y)).toFixed(2); });
  }

  function wireDrawing() {
    var canvas = document.getElementById("fit-canvas"), button = document.getElementById("fit-draw");
    var on = false;
    button.addEventListener("click", function () {
      on = !on;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      canvas.classList.toggle("drawing", on);
      document.getElementById("fit-draw-hint").hidden = !on;
      if (on) { setPlaying(false); lab.drawing = []; draw(); } else { lab.drawing = null; draw(); }
    });
    function at(e) {
      var r = canvas.getBoundingClientRect(), v = Plot.view(canvas, XR, YR);
      return [v.px2x(e.clientX - r.left), v.py2y(e.clientY - r.top)];
    }
    canvas.addEventListener("pointerdown", function (e) {
      if (!on) return;
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      lab.drawing = [at(e)];
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!on || !lab.drawing || !lab.drawing.length || !(e.buttons || e.pointerType === "touch")) return;
      lab.drawing.push(at(e));
      draw();
    });
    canvas.addEventListener("pointerup", function () {
      if (!on || !lab.drawing || lab.drawing.length < 2) return;
      var form = document.getElementById("fit-form"), n = +lab.root.dataset.drawPoints;
      document.getElementById("draw").value = resample(lab.drawing.slice(), n).join(",");
      form.querySelectorAll("input[name=target]").forEach(function (r) { r.checked = false; });
      var t = document.createElement("input");
      t.type = "hidden"; t.name = "target"; t.value = "drawn";
      form.appendChild(t);
      htmx.trigger(form, "submit");
    });
  }

  function start() {
    var root = document.getElementById("fit-root");
    if (!root) return;
    lab = setup(root);
    window.fitLab = lab;  // for tests and the curious: steps, mse, stepsPerSecond
    document.getElementById("fit-play").addEventListener("click", function () { setPlaying(!playing); });
    document.getElementById("fit-step").addEventListener("click", function () {
      setPlaying(false); step(1); draw();
      Playground.reveal(this, document.querySelector(".fit-readout"));  // the step count and the error beside the button
    });
    document.getElementById("fit-reset").addEventListener("click", function () { setPlaying(false); start(); });
    wireDrawing();
    draw();
    setPlaying(playing);
  }

  document.addEventListener("DOMContentLoaded", start);
  // a settings change swaps #fit-lab: htmx fires htmx:load on the new #fit-root
  document.addEventListener("htmx:load", function (e) { if (e.target && e.target.id === "fit-root") start(); });
  window.addEventListener("resize", function () { if (lab) draw(); });
})();
