// /playground: classify points in the plane with a network trained live by nn.js. Everything the
// learner sets is a field of #pg-form; the address follows it (history.replaceState), so a link
// reopens the same data (same seed), network and settings. Loss: logistic (binary cross-entropy).
(function () {
  "use strict";
  var VIEW = 6, GRID = 50, N_POINTS = 400, FRAME_MS = 12, BIAS_SCALE = 0.1;
  var FEATURES = PlaygroundData.FEATURES, ORDER = PlaygroundData.ORDER, DATASETS = PlaygroundData.DATASETS;

  var form, lab = null, playing = false, strings = {}, custom = [];

  function list(id) { return document.getElementById(id).value.split(",").filter(Boolean); }
  function readForm() {
    var layers = list("pg-layers").map(Number), act = form.elements.activation.value, acts = list("pg-acts");
    return {
      dataset: form.querySelector("input[name=dataset]:checked").value,
      features: ORDER.filter(function (f) { return list("pg-features").indexOf(f) >= 0; }),
      layers: layers, acts: layers.map(function (_, i) { return acts[i] || act; }),
      lr: +form.elements.lr.value, l2: +form.elements.l2.value, batch: +form.elements.batch.value,
      noise: +form.elements.noise.value / 100, split: +form.elements.split.value / 100, seed: +form.elements.seed.value >>> 0
    };
  }

  function pointsFromUrl() {
    return document.getElementById("pg-pts").value.split(";").filter(Boolean).map(function (r) {
      var p = r.split(","); return [+p[0], +p[1], +p[2]];
    });
  }

  function syncUrl() {
    var params = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", "/playground?" + params.toString().replace(/%2C/g, ",").replace(/%3B/g, ";"));
  }

  // ---- build data and network from the form ----
  function build() {
    var cfg = readForm(), rng = NN.mulberry32(cfg.seed);
    var pts = cfg.dataset === "mine" ? custom.slice() : DATASETS[cfg.dataset](N_POINTS, cfg.noise, rng);
    for (var i = pts.length - 1; i > 0; i--) { var k = Math.floor(rng() * (i + 1)), t = pts[i]; pts[i] = pts[k]; pts[k] = t; }
    var nTrain = Math.round(pts.length * cfg.split), fs = cfg.features.map(function (f) { return FEATURES[f].f; });
    function feats(p) { return fs.map(function (f) { return f(p); }); }
    var train = pts.slice(0, nTrain), test = pts.slice(nTrain);
    var net = NN.mlp([fs.length].concat(cfg.layers, [1]), cfg.acts.concat(["linear"]), { seed: cfg.seed, biasScale: BIAS_SCALE });
    var X = train.map(feats), T = train.map(function (p) { return [p[2]]; });
    var grid = [];
    for (var r = 0; r < GRID; r++) for (var c = 0; c < GRID; c++) {
      grid.push([-VIEW + 2 * VIEW * (c + 0.5) / GRID, VIEW - 2 * VIEW * (r + 0.5) / GRID]);
    }
    lab = {
      cfg: cfg, train: train, test: test, X: X, T: T, Xt: test.map(feats), Tt: test.map(function (p) { return [p[2]]; }),
      net: net, trainer: NN.trainer(net, X.length ? X : [feats([0, 0])], X.length ? T : [[0]], { loss: "logistic", batchSize: cfg.batch, seed: cfg.seed }),
      grid: grid, gridX: grid.map(feats), hist: Plot.history(300), histTest: Plot.history(300), stepsPerSecond: 0,
      empty: !X.length
    };
    window.playgroundLab = lab;  // for tests and the curious
    measure();
    buildDiagram();
    exportKeras();
    draw();
  }

  function measure() {  // train and test loss on every point, into the two loss histories
    lab.trainLoss = lab.empty ? NaN : lab.trainer.loss(lab.X, lab.T);
    lab.testLoss = lab.Xt.length && !lab.empty ? lab.trainer.loss(lab.Xt, lab.Tt) : NaN;
    lab.hist.add(lab.trainer.steps, lab.trainLoss);
    lab.histTest.add(lab.trainer.steps, lab.testLoss);
    lab.hist.extra = [lab.histTest.values];
  }

  // ---- the network diagram: features (tap to switch on/off), hidden layers, the output ----
  function node(canvasSize) {
    var c = document.createElement("canvas"); c.width = canvasSize; c.height = canvasSize; return c;
  }
  function buildDiagram() {
    var d = document.getElementById("pg-diagram"), svg = document.getElementById("pg-links");
    Array.from(d.querySelectorAll(".pg-col")).forEach(function (c) { c.remove(); });
    lab.nodes = [];
    var col = document.createElement("div"); col.className = "pg-col";
    col.innerHTML = '<div class="pg-col-head"><span>' + strings["playground.neurons"].replace("{n}", lab.cfg.features.length) + "</span></div>";
    var inputs = [];
    ORDER.forEach(function (f) {
      var on = lab.cfg.features.indexOf(f) >= 0, b = document.createElement("button");
      b.type = "button"; b.className = "pg-node" + (on ? "" : " off"); b.id = "feature-" + f; b.title = FEATURES[f].label;
      b.setAttribute("aria-pressed", on ? "true" : "false"); b.setAttribute("aria-label", FEATURES[f].label);
      var c = node(GRID); b.appendChild(c);
      var row = document.createElement("div"); row.className = "pg-feature";
      var label = document.createElement("span"); label.textContent = FEATURES[f].label;
      row.appendChild(label); row.appendChild(b); col.appendChild(row);
      b.addEventListener("click", function () { toggleFeature(f); });
      paintFeature(c, f);
      if (on) inputs.push(b);
    });
    d.appendChild(col);
    lab.nodes.push(inputs);
    lab.cfg.layers.forEach(function (n, l) {
      var col = document.createElement("div"); col.className = "pg-col";
      var head = document.createElement("div"); head.className = "pg-col-head";
      head.innerHTML = "<span>" + strings["playground.layer"].replace("{i}", l + 1) + "</span>" +
        '<div class="row"><button type="button" data-layer="' + l + '" data-delta="1" aria-label="' + strings["playground.add_neuron"] + '">＋</button>' +
        '<button type="button" data-layer="' + l + '" data-delta="-1" aria-label="' + strings["playground.remove_neuron"] + '">－</button></div>' +
        '<span>' + strings["playground.neurons"].replace("{n}", n) + "</span>";
      var sel = document.getElementById("pg-activation").cloneNode(true);
      sel.removeAttribute("name"); sel.id = "act-" + l; sel.value = lab.cfg.acts[l];
      sel.addEventListener("change", function () { setAct(l, sel.value); });
      head.appendChild(sel);
      head.querySelectorAll("button").forEach(function (b) { b.addEventListener("click", function () { resize(l, +b.dataset.delta); }); });
      col.appendChild(head);
      var nodes = [];
      for (var j = 0; j < n; j++) { var w = document.createElement("div"); w.className = "pg-node"; w.appendChild(node(GRID)); col.appendChild(w); nodes.push(w); }
      d.appendChild(col);
      lab.nodes.push(nodes);
    });
    var out = document.createElement("div"); out.className = "pg-col";
    out.innerHTML = '<div class="pg-col-head"><span>' + strings["playground.output"] + "</span></div>";
    var o = document.createElement("div"); o.className = "pg-node"; o.appendChild(node(GRID)); out.appendChild(o);
    d.appendChild(out);
    lab.nodes.push([o]);
    document.getElementById("pg-layer-count").textContent = lab.cfg.layers.length + " / 6";
    document.getElementById("pg-add-layer").disabled = lab.cfg.layers.length >= 6;
    document.getElementById("pg-remove-layer").disabled = lab.cfg.layers.length === 0;
    svg.innerHTML = "";
    lab.links = [];
    var box = d.getBoundingClientRect();
    function centre(el, side) {
      var r = el.getBoundingClientRect();
      return [(side > 0 ? r.right : r.left) - box.left, r.top + r.height / 2 - box.top];
    }
    for (var l = 1; l < lab.nodes.length; l++) {
      lab.nodes[l].forEach(function (to, j) {
        lab.nodes[l - 1].forEach(function (from, i) {
          var a = centre(from, 1), b = centre(to, -1), line = document.createElementNS("http://www.w3.org/2000/svg", "line");
          line.setAttribute("x1", a[0]); line.setAttribute("y1", a[1]); line.setAttribute("x2", b[0]); line.setAttribute("y2", b[1]);
          svg.appendChild(line);
          lab.links.push({ line: line, layer: l - 1, j: j, i: i });
        });
      });
    }
    svg.setAttribute("width", d.scrollWidth); svg.setAttribute("height", d.scrollHeight);
  }

  function toggleFeature(f) {
    var fs = list("pg-features"), at = fs.indexOf(f);
    if (at >= 0 && fs.length > 1) fs.splice(at, 1); else if (at < 0) fs.push(f);
    document.getElementById("pg-features").value = ORDER.filter(function (x) { return fs.indexOf(x) >= 0; }).join(",");
    changed();
  }
  function resize(l, delta) {
    var layers = list("pg-layers").map(Number);
    layers[l] = Math.max(1, Math.min(8, layers[l] + delta));
    document.getElementById("pg-layers").value = layers.join(",");
    changed();
  }
  function setAct(l, act) {
    var cfg = readForm(), acts = cfg.acts.slice();
    acts[l] = act;
    document.getElementById("pg-acts").value = acts.every(function (a) { return a === form.elements.activation.value; }) ? "" : acts.join(",");
    changed();
  }

  // ---- pictures ----
  var ORANGE = [245, 147, 34], BLUE = [8, 119, 189], WHITE = [232, 234, 237];
  function colour(v) { // v in [−1, 1]: orange … white … blue
    var t = Math.max(-1, Math.min(1, v)), c = t < 0 ? ORANGE : BLUE, a = Math.abs(t);
    return [0, 1, 2].map(function (k) { return Math.round(WHITE[k] + (c[k] - WHITE[k]) * a); });
  }
  function paint(canvas, values, scale) {
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(GRID, GRID);
    for (var i = 0; i < values.length; i++) {
      var c = colour(values[i] / scale);
      img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }
  function paintFeature(canvas, f) {
    var vals = lab.grid.map(FEATURES[f].f), m = Math.max.apply(null, vals.map(Math.abs)) || 1;
    paint(canvas, vals, m);
  }
  function maxAbs(vals) { var m = 0; for (var i = 0; i < vals.length; i++) m = Math.max(m, Math.abs(vals[i])); return m || 1; }

  function draw() {
    var out = lab.net.forward(lab.gridX), cache = lab.net.cache;
    // each hidden neuron's picture, and the output's (p − ½ scaled to ±1)
    for (var l = 1; l < lab.nodes.length; l++) {
      lab.nodes[l].forEach(function (el, j) {
        var vals = cache[l].a.map(function (a) { return a[j]; });
        if (l === lab.nodes.length - 1) vals = vals.map(function (z) { return 2 * NN.sigmoid(z) - 1; });
        paint(el.firstChild, vals, l === lab.nodes.length - 1 ? 1 : maxAbs(vals));
      });
    }
    lab.links.forEach(function (k) {
      var w = lab.net.layers[k.layer].W[k.j][k.i];
      k.line.setAttribute("stroke", w > 0 ? "#0877bd" : "#f59322");
      k.line.setAttribute("stroke-width", Math.min(8, 0.4 + 1.6 * Math.abs(w)).toFixed(2));
    });
    // the decision boundary: the output's picture, big, with the points on top
    var canvas = document.getElementById("pg-boundary"), small = node(GRID);
    paint(small, out.map(function (o) { return 2 * NN.sigmoid(o[0]) - 1; }), 1.4);
    var scale = Plot.view(canvas, [-VIEW, VIEW], [-VIEW, VIEW]).scale, ctx = canvas.getContext("2d"), W = canvas.width;
    if (canvas.height !== W) canvas.height = W;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, W, W);
    function dot(p, test) {
      var x = (p[0] + VIEW) / (2 * VIEW) * W, y = (VIEW - p[1]) / (2 * VIEW) * W;
      ctx.beginPath(); ctx.arc(x, y, 4.2 * scale, 0, 2 * Math.PI);
      ctx.fillStyle = p[2] ? "#0877bd" : "#f59322"; ctx.fill();
      ctx.lineWidth = (test ? 2.2 : 1) * scale; ctx.strokeStyle = test ? "#000" : "#fff"; ctx.stroke();
    }
    lab.train.forEach(function (p) { dot(p, false); });
    lab.test.forEach(function (p) { dot(p, true); });
    Plot.lossChart(document.getElementById("pg-loss"), lab.hist, [Plot.css("--accent", "#06f"), Plot.css("--good", "#0a7d38")]);
    function show(id, attr, v) {
      var el = document.getElementById(id);
      el.textContent = isFinite(v) ? v.toFixed(3) : "–"; el.setAttribute(attr, isFinite(v) ? v : "");
    }
    show("pg-train-loss", "data-train-loss", lab.trainLoss);
    show("pg-test-loss", "data-test-loss", lab.testLoss);
    document.getElementById("pg-steps").textContent = lab.trainer.steps;
    document.getElementById("pg-epoch").textContent = lab.trainer.epochs;
  }

  function step(n) {
    if (lab.empty) return;
    for (var i = 0; i < n; i++) lab.trainer.step(lab.cfg.lr, lab.cfg.l2);
  }
  function loop(now) {  // as many steps as fit in FRAME_MS, then one picture; stepsPerSecond is wall-clock
    if (!playing) return;
    var t0 = performance.now(), n = 0;
    while (performance.now() - t0 < FRAME_MS && !lab.empty) { step(10); n += 10; }
    if (lab.lastFrame && n) {
      var rate = n / (now - lab.lastFrame) * 1000;
      lab.stepsPerSecond = lab.stepsPerSecond ? 0.95 * lab.stepsPerSecond + 0.05 * rate : rate;
    }
    lab.lastFrame = now;
    measure();
    draw();
    requestAnimationFrame(loop);
  }
  function setPlaying(on) {
    playing = on;
    var b = document.getElementById("pg-play");
    b.setAttribute("aria-pressed", on ? "true" : "false");
    b.textContent = (on ? "⏸ " : "▶ ") + strings[on ? "playground.pause" : "playground.play"];
    lab.lastFrame = 0;
    if (on) requestAnimationFrame(loop);
  }

  function changed() {
    ["noise", "split", "batch"].forEach(function (n) { document.getElementById(n + "-out").textContent = form.elements[n].value; });
    document.getElementById("pg-mine").hidden = readForm().dataset !== "mine";
    syncUrl();
    build();
  }

  // ---- the learner's own points: tapped in, or a CSV checked by POST /api/playground/csv ----
  function savePoints() {
    var inUrl = custom.length <= 300;
    document.getElementById("pg-pts").value = inUrl ? custom.map(function (p) { return p[0].toFixed(2) + "," + p[1].toFixed(2) + "," + p[2]; }).join(";") : "";
    document.getElementById("pg-csv-note").textContent = inUrl ? "" : strings["playground.not_in_url"];
  }
  function wireMine() {
    var canvas = document.getElementById("pg-boundary");
    canvas.addEventListener("click", function (e) {
      if (readForm().dataset !== "mine") return;
      var r = canvas.getBoundingClientRect();
      var x = -VIEW + 2 * VIEW * (e.clientX - r.left) / r.width, y = VIEW - 2 * VIEW * (e.clientY - r.top) / r.height;
      custom.push([Math.round(x * 100) / 100, Math.round(y * 100) / 100, +form.querySelector("[data-tap]:checked").value]);
      savePoints(); syncUrl(); build();
    });
    form.querySelectorAll("[data-tap]").forEach(function (r) {
      r.addEventListener("change", function () { form.querySelectorAll("[data-tap]").forEach(function (o) { o.checked = o === r; }); });
    });
    document.getElementById("pg-clear").addEventListener("click", function () { custom = []; savePoints(); syncUrl(); build(); });
    document.getElementById("pg-csv").addEventListener("change", function (e) {
      var file = e.target.files[0], box = document.getElementById("playground-error");
      if (!file) return;
      file.text().then(function (text) {
        return fetch("/api/playground/csv", { method: "POST", body: text, headers: { "content-type": "text/csv" } });
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (res) {
        if (!res.ok) {
          box.innerHTML = '<div class="error-box" role="alert"><span class="error-icon" aria-hidden="true">⚠</span> </div>';
          box.firstChild.appendChild(document.createTextNode(res.body.detail));
          return;
        }
        box.innerHTML = "";
        custom = res.body.points.map(function (p) { return [p[0], p[1], p[2]]; });
        savePoints(); syncUrl(); build();
        if (custom.length <= 300) document.getElementById("pg-csv-note").textContent = strings["playground.csv_loaded"].replace("{n}", custom.length);
      }).catch(function () { window.playgroundToast && window.playgroundToast(document.getElementById("toast").dataset.offline); });
    });
  }

  function exportKeras() {  // static/js/playground_keras.js writes the code
    document.getElementById("pg-keras").value = PlaygroundKeras.code(lab, FEATURES);
  }

  function suggest() {
    var cfg = readForm(), s = JSON.parse(form.getAttribute("data-suggested"))[cfg.dataset];
    document.getElementById("pg-features").value = s.features;
    document.getElementById("pg-layers").value = s.layers;
    document.getElementById("pg-acts").value = "";
    form.elements.activation.value = s.activation;
    form.elements.lr.value = String(s.lr);
    changed();
  }

  function start() {
    form = document.getElementById("pg-form");
    if (!form) return;
    strings = JSON.parse(form.getAttribute("data-strings"))  // not form.dataset: a form's fields shadow it (name="dataset")
    custom = pointsFromUrl();
    form.addEventListener("submit", function (e) { e.preventDefault(); changed(); });
    form.addEventListener("change", function (e) { if (e.target.name && e.target.type !== "file") changed(); });
    form.addEventListener("input", function (e) {
      if (e.target.type === "range") document.getElementById(e.target.name + "-out").textContent = e.target.value;
    });
    document.getElementById("pg-play").addEventListener("click", function () { setPlaying(!playing); });
    document.getElementById("pg-step").addEventListener("click", function () {
      setPlaying(false); step(1); measure(); draw();
      Playground.reveal(this, document.getElementById("pg-boundary"));  // the new boundary with the button
    });
    document.getElementById("pg-reset").addEventListener("click", function () { setPlaying(false); build(); });
    document.getElementById("pg-add-layer").addEventListener("click", function () {
      var layers = list("pg-layers"); if (layers.length < 6) layers.push("4");
      document.getElementById("pg-layers").value = layers.join(","); changed();
    });
    document.getElementById("pg-remove-layer").addEventListener("click", function () {
      var layers = list("pg-layers"); layers.pop();
      document.getElementById("pg-layers").value = layers.join(","); changed();
    });
    document.getElementById("pg-suggest").addEventListener("click", function (e) { e.preventDefault(); suggest(); });
    document.getElementById("pg-export").addEventListener("toggle", exportKeras);
    document.getElementById("pg-copy").addEventListener("click", function () {
      exportKeras();
      var t = document.getElementById("pg-keras");
      t.select();
      (navigator.clipboard ? navigator.clipboard.writeText(t.value) : Promise.reject()).then(function () {
        window.playgroundToast && window.playgroundToast(strings["playground.copied"]);
      }, function () { document.execCommand && document.execCommand("copy"); });
    });
    wireMine();
    build();
    window.addEventListener("resize", function () { if (lab) { buildDiagram(); draw(); } });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
