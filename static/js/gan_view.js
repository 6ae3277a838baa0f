// /gan: the page around static/js/gan.js. It draws the plane (D's belief as a heat map, the real
// points, G's fakes with their push arrows) and the two losses, runs the schedule (D steps per G
// step) at full speed or in slow motion, lets the learner draw a distribution by touch or mouse,
// and keeps the address in step with #gan-form (history.replaceState), so a link reopens the
// same data, seed and settings.
(function () {
  "use strict";
  var GRID = 32, MAP_LINES = 10, MAP_POINTS = 24, N_SHOW = 300, FRAME_MS = 10, SLOW_MS = 400, ARROW_MAX = 0.14, MIN_GAP = 0.03;
  var REAL = [26, 152, 80], FAKE = [123, 50, 148];

  var form, strings, maxDrawn, lab = null, playing = false, drawn = [], drawing = false, lastSlow = 0;

  function el(id) { return document.getElementById(id); }
  function t(key, params) {
    var s = strings[key] || key;
    Object.keys(params || {}).forEach(function (k) { s = s.split("{" + k + "}").join(params[k]); });
    return s;
  }
  function readForm() {
    var f = form.elements;
    return { dist: form.querySelector("input[name=dist]:checked").value, dlr: +f.dlr.value, glr: +f.glr.value,
             dsteps: +f.dsteps.value, opt: f.opt.value, seed: (+f.seed.value || 0) >>> 0, slow: el("gan-slow").checked,
             map: el("gan-map").checked };
  }
  function syncUrl() {
    var params = new URLSearchParams(new FormData(form));
    if (!params.get("pts")) params.delete("pts");
    history.replaceState(null, "", "/gan?" + params.toString().replace(/%2C/g, ",").replace(/%3B/g, ";"));
  }
  function pointsFromField() {
    return el("gan-pts").value.split(";").filter(Boolean).map(function (r) { var p = r.split(","); return [+p[0], +p[1]]; });
  }

  // ---- a fresh GAN from the form ----
  function build() {
    var cfg = readForm(), empty = cfg.dist === "drawn" && !drawn.length;
    var grid = [];
    for (var r = 0; r < GRID; r++) for (var c = 0; c < GRID; c++) grid.push([-1 + 2 * (c + 0.5) / GRID, 1 - 2 * (r + 0.5) / GRID]);
    var lines = [];  // G's map: lines of constant z₁ and of constant z₂ in the noise square
    for (var k = 0; k <= MAP_LINES; k++) {
      var u = -1 + 2 * k / MAP_LINES, across = [], down = [];
      for (var m = 0; m <= MAP_POINTS; m++) { var v = -1 + 2 * m / MAP_POINTS; across.push([v, u]); down.push([u, v]); }
      lines.push(across, down);
    }
    lab = {
      cfg: cfg, empty: empty, phase: 0, turn: null, grid: grid, mapLines: lines,
      gan: empty ? null : new GAN.Gan({ dist: cfg.dist, seed: cfg.seed, optimizer: cfg.opt, drawn: drawn.slice() }),
      Z: GAN.sampleNoise(N_SHOW, NN.mulberry32(cfg.seed + 3)),  // fixed noise: each fake keeps its identity
      real: empty ? [] : GAN.sampleReal(cfg.dist, N_SHOW, NN.mulberry32(cfg.seed + 4), drawn),
      histD: Plot.history(300), histG: Plot.history(300), stepsPerSecond: 0, fps: 0, frames: 0, lastFrame: 0
    };
    lab.quality = function () { return lab.score ? GAN.quality(lab.score.fake, lab.real) : null; };
    lab.measure = measure; lab.draw = draw;
    window.ganLab = lab;  // for tests, the bench and the curious
    el("gan-draw").hidden = cfg.dist !== "drawn";
    el("gan-plane").classList.toggle("drawing", cfg.dist === "drawn");
    el("gan-play").disabled = el("gan-d-step").disabled = el("gan-g-step").disabled = empty;
    el("gan-drawn-count").textContent = t("gan.drawn_count", { n: drawn.length, max: maxDrawn });
    measure();
    draw();
  }

  // D's beliefs and both losses on the shown points, into the loss histories
  function measure() {
    if (lab.empty) { lab.score = null; return; }
    lab.score = lab.gan.score(lab.real, lab.Z);
    lab.histD.add(lab.gan.gSteps, lab.score.dLoss);
    lab.histG.add(lab.gan.gSteps, lab.score.gLoss);
    lab.histD.extra = [lab.histG.values];
  }

  // one step of the schedule: `dsteps` D steps, then one G step
  function nextStep() {
    if (lab.phase < lab.cfg.dsteps) { lab.gan.dStep(lab.cfg.dlr); lab.phase++; lab.turn = "d"; }
    else { lab.gan.gStep(lab.cfg.glr); lab.phase = 0; lab.turn = "g"; }
  }

  // ---- pictures ----
  function mix(a, b, s) { return [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * s); }); }
  function rgb(c, alpha) { return "rgba(" + c[0] + "," + c[1] + "," + c[2] + "," + (alpha === undefined ? 1 : alpha) + ")"; }
  function parseColour(css) {  // "#rrggbb", "#rgb" or "rgb(r, g, b)"
    var m = /^#([0-9a-f]{3}){1,2}$/i.test(css) && css.slice(1);
    if (m) {
      if (m.length === 3) m = m.replace(/./g, "$&$&");
      return [0, 2, 4].map(function (k) { return parseInt(m.slice(k, k + 2), 16); });
    }
    var n = /rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)/.exec(css);
    return n ? [+n[1], +n[2], +n[3]] : [255, 255, 255];
  }
  function draw() {
    var canvas = el("gan-plane"), dpr = window.devicePixelRatio || 1;
    var W = Math.max(200, Math.round((canvas.clientWidth || 560) * dpr));
    if (canvas.width !== W) { canvas.width = W; canvas.height = W; }
    var ctx = canvas.getContext("2d"), dark = document.documentElement.classList.contains("projector");
    var base = parseColour(Plot.css("--card", "#ffffff")), s = W / 2, px = function (x) { return (x + 1) * s; }, py = function (y) { return (1 - y) * s; };
    var unit = W / 420 * (dark ? 1.15 : 1);
    // D's verdict: green where D says "real", purple where it says "fake", plain at ½
    var small = document.createElement("canvas");
    small.width = small.height = GRID;
    var sctx = small.getContext("2d"), img = sctx.createImageData(GRID, GRID);
    var belief = lab.empty ? null : lab.gan.belief(lab.grid);
    for (var i = 0; i < GRID * GRID; i++) {
      var p = belief ? belief[i] : 0.5, c = mix(base, p > 0.5 ? REAL : FAKE, Math.min(1, Math.abs(2 * p - 1)) * (dark ? 0.55 : 0.45));
      img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
    }
    sctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, W, W);
    // the axes through 0
    ctx.strokeStyle = Plot.css("--line", "#ccc"); ctx.lineWidth = unit;
    ctx.beginPath(); ctx.moveTo(0, s); ctx.lineTo(W, s); ctx.moveTo(s, 0); ctx.lineTo(s, W); ctx.stroke();
    function dots(points, colour, size) {  // one path for all: a frame has 600 of them
      var r = Math.max(2.2 * dpr, size * unit);
      ctx.beginPath();
      points.forEach(function (q) { var x = px(q[0]), y = py(q[1]); ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); });
      ctx.lineWidth = r / 2; ctx.strokeStyle = dark ? "#000" : "#fff"; ctx.stroke();
      ctx.fillStyle = colour; ctx.fill();
    }
    if (lab.empty) {  // the learner's strokes so far, and what to do
      dots(drawn, rgb(REAL), 3.5);
      ctx.fillStyle = Plot.css("--muted", "#555"); ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.font = Math.round(20 * unit) + "px " + Plot.css("--font", "sans-serif");
      ctx.fillText(strings["gan.draw_empty"], s, s * 0.5);
    } else {
      if (lab.cfg.map) {  // where G sends the noise square: the plane of noise, bent by G
        ctx.strokeStyle = dark ? "rgba(255,255,255,.4)" : "rgba(40,40,40,.35)"; ctx.lineWidth = unit;
        ctx.beginPath();
        lab.mapLines.forEach(function (line) {
          lab.gan.generate(line).forEach(function (q, m) { if (m) ctx.lineTo(px(q[0]), py(q[1])); else ctx.moveTo(px(q[0]), py(q[1])); });
        });
        ctx.stroke();
      }
      dots(lab.real, rgb(REAL), 2.4);
      var fake = lab.score.fake, push = lab.score.push, longest = 1e-12;
      push.forEach(function (v) { longest = Math.max(longest, Math.hypot(v[0], v[1])); });
      ctx.strokeStyle = dark ? "#e9b8ff" : "#4a1466"; ctx.lineWidth = 1.3 * unit;
      ctx.beginPath();
      fake.forEach(function (q, k) {  // arrows: −∂L_G/∂x, scaled so that the longest is ARROW_MAX
        var v = push[k], f = ARROW_MAX / longest, x0 = px(q[0]), y0 = py(q[1]);
        var x1 = px(q[0] + v[0] * f), y1 = py(q[1] + v[1] * f), a = Math.atan2(y1 - y0, x1 - x0), h = 3.5 * unit;
        if (Math.hypot(x1 - x0, y1 - y0) < 2 * unit) return;
        ctx.moveTo(x0, y0); ctx.lineTo(x1, y1);
        ctx.moveTo(x1, y1); ctx.lineTo(x1 - h * Math.cos(a - 0.5), y1 - h * Math.sin(a - 0.5));
        ctx.moveTo(x1, y1); ctx.lineTo(x1 - h * Math.cos(a + 0.5), y1 - h * Math.sin(a + 0.5));
      });
      ctx.stroke();
      dots(fake, rgb(FAKE), 2.4);
    }
    Plot.lossChart(el("gan-loss"), lab.histD, [rgb(REAL), dark ? "#d58cff" : rgb(FAKE)]);
    readouts();
  }

  function show(id, v) {
    var e = el(id);
    e.textContent = isFinite(v) ? v.toFixed(3) : "–";
    e.setAttribute("data-value", isFinite(v) ? v : "");
  }
  function readouts() {
    var sc = lab.score, d = lab.gan ? lab.gan.dSteps : 0, g = lab.gan ? lab.gan.gSteps : 0;
    show("gan-d-loss", sc ? sc.dLoss : NaN); show("gan-g-loss", sc ? sc.gLoss : NaN);
    show("gan-d-real", sc ? sc.pReal : NaN); show("gan-d-fake", sc ? sc.pFake : NaN);
    var v = sc ? GAN.verdict(sc.pReal, sc.pFake, d + g) : "none", box = el("gan-verdict");
    if (box.getAttribute("data-verdict") !== v || v !== "none") {
      box.textContent = t("gan.verdict_" + v, sc ? { r: sc.pReal.toFixed(2), f: sc.pFake.toFixed(2) } : {});
      box.setAttribute("data-verdict", v);
    }
    var steps = el("gan-steps");
    steps.textContent = t("gan.steps", { d: d, g: g });
    steps.setAttribute("data-d", d); steps.setAttribute("data-g", g);
    el("gan-turn").textContent = lab.turn && (!playing || lab.cfg.slow) ? t("gan.turn_" + lab.turn) : "";
    var b = el("gan-play");
    b.classList.toggle("turn-d", lab.turn === "d"); b.classList.toggle("turn-g", lab.turn === "g");
  }

  // ---- playing: as many steps as fit in FRAME_MS, one picture per frame; or one step per SLOW_MS ----
  function loop(now) {
    if (!playing) return;
    var n = 0;
    if (lab.cfg.slow) {
      if (now - lastSlow >= SLOW_MS) { nextStep(); n = 1; lastSlow = now; }
    } else {
      var t0 = performance.now();
      do { nextStep(); n++; } while (performance.now() - t0 < FRAME_MS);
    }
    if (lab.lastFrame) {  // running means of a frame's duration and steps: fps = 1 / mean duration
      var dt = (now - lab.lastFrame) / 1000;
      lab.meanDt = lab.meanDt ? 0.95 * lab.meanDt + 0.05 * dt : dt;
      lab.meanSteps = lab.meanSteps ? 0.95 * lab.meanSteps + 0.05 * n : n;
      lab.fps = 1 / lab.meanDt;
      lab.stepsPerSecond = lab.meanSteps / lab.meanDt;
    }
    lab.lastFrame = now;
    lab.frames++;
    if (n) { measure(); draw(); }
    requestAnimationFrame(loop);
  }
  function setPlaying(on) {
    playing = on && !lab.empty;
    var b = el("gan-play");
    b.setAttribute("aria-pressed", playing ? "true" : "false");
    b.textContent = (playing ? "⏸ " : "▶ ") + strings[playing ? "gan.pause" : "gan.play"];
    lab.lastFrame = 0; lastSlow = 0;
    if (playing) requestAnimationFrame(loop); else readouts();
  }
  function oneStep(which) {
    setPlaying(false);
    if (lab.empty) return;
    if (which === "d") lab.gan.dStep(lab.cfg.dlr); else lab.gan.gStep(lab.cfg.glr);
    lab.turn = which;
    measure(); draw();
  }

  // ---- the learner's own distribution, drawn on the plane ----
  function savePoints() {
    el("gan-pts").value = drawn.map(function (q) { return q[0].toFixed(2) + "," + q[1].toFixed(2); }).join(";");
  }
  function planePoint(e) {
    var r = el("gan-plane").getBoundingClientRect();
    var clamp = function (v) { return Math.max(-1, Math.min(1, Math.round(v * 100) / 100)); };
    return [clamp(-1 + 2 * (e.clientX - r.left) / r.width), clamp(1 - 2 * (e.clientY - r.top) / r.height)];
  }
  function addPoint(e, always) {
    if (drawn.length >= maxDrawn) return;
    var q = planePoint(e), last = drawn[drawn.length - 1];
    if (always || !last || Math.hypot(q[0] - last[0], q[1] - last[1]) >= MIN_GAP) drawn.push(q);
  }
  function wireDrawing() {
    var canvas = el("gan-plane");
    canvas.addEventListener("pointerdown", function (e) {
      if (readForm().dist !== "drawn") return;
      e.preventDefault();
      setPlaying(false);
      drawing = true;
      if (canvas.setPointerCapture) { try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* synthetic pointer */ } }
      addPoint(e, true);
      lab.empty = true;  // show the strokes while drawing
      draw();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      addPoint(e, false);
      draw();
    });
    function done() {
      if (!drawing) return;
      drawing = false;
      savePoints(); syncUrl(); build();
    }
    canvas.addEventListener("pointerup", done);
    canvas.addEventListener("pointercancel", done);
    el("gan-clear").addEventListener("click", function () { setPlaying(false); drawn = []; savePoints(); syncUrl(); build(); });
  }

  function start() {
    form = el("gan-form");
    if (!form || !window.GAN) return;
    strings = JSON.parse(form.getAttribute("data-strings"));
    maxDrawn = +form.getAttribute("data-max-drawn") || 200;
    drawn = pointsFromField();
    form.addEventListener("submit", function (e) { e.preventDefault(); syncUrl(); setPlaying(false); build(); });
    form.addEventListener("change", function (e) {
      if (!e.target.name) return;
      syncUrl();
      if (e.target.name === "slow") { lab.cfg.slow = e.target.checked; lastSlow = 0; readouts(); return; }
      if (e.target.name === "map") { lab.cfg.map = e.target.checked; draw(); return; }
      if (e.target.name === "dlr" || e.target.name === "glr" || e.target.name === "dsteps") {  // live, as in GAN Lab
        var cfg = readForm();
        lab.cfg.dlr = cfg.dlr; lab.cfg.glr = cfg.glr; lab.cfg.dsteps = cfg.dsteps;
        return;
      }
      var was = playing;
      setPlaying(false); build(); if (was) setPlaying(true);
    });
    el("gan-play").addEventListener("click", function () { setPlaying(!playing); });
    el("gan-d-step").addEventListener("click", function () { oneStep("d"); });
    el("gan-g-step").addEventListener("click", function () { oneStep("g"); });
    el("gan-reset").addEventListener("click", function () { setPlaying(false); build(); });
    wireDrawing();
    build();
    window.addEventListener("resize", function () { if (lab) draw(); });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
