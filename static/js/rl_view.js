// The gridworld page: draws the world and the agent's Q table (static/js/rl.js does the learning),
// edits cells by tap, writes out the last update with its numbers, charts the returns, and keeps
// the address in step: grid and parameters go through the htmx form (which fetches value
// iteration's exact answer and pushes the URL), the number of steps taken is replaced in place.
(function () {
  "use strict";
  var RL = window.RL;
  var root = document.getElementById("rl-lab");
  if (!root || !RL) return;
  var text = JSON.parse(root.dataset.text || "{}");
  var form = document.getElementById("rl-form");
  var svg = document.getElementById("rl-world");
  var ARROW = ["↑", "→", "↓", "←"];
  var PLAY_MS = 250, FAST_EPISODES = 100;
  var app = { rows: form.elements.grid.value.split("_"), world: null, agent: null, last: null, inspect: null, timer: null };

  function t(key, params) {
    var s = text[key] || key;
    Object.keys(params || {}).forEach(function (k) { s = s.split("{" + k + "}").join(params[k]); });
    return s;
  }
  function fmt(v, digits) { // 3 decimals and a true minus sign, as the server writes numbers
    var s = (Math.round(v * 1000) / 1000).toFixed(digits === undefined ? 3 : digits);
    if (/^-0\.0+$/.test(s)) s = s.slice(1);
    return s.replace("-", "−");
  }
  function paren(v) { return v < 0 ? "(" + fmt(v) + ")" : fmt(v); }
  function el(id) { return document.getElementById(id); }
  function params() {
    var f = form.elements;
    return { alpha: +f.alpha.value, gamma: +f.gamma.value, epsilon: +f.epsilon.value,
             stepReward: +f.step_reward.value, seed: (parseInt(f.seed.value, 10) || 0) >>> 0 };
  }
  function playable(rows) {
    var starts = rows.join("").split("S").length - 1;
    return starts === 1 && rows.join("").indexOf("G") >= 0;
  }

  function reset() {
    stop();
    var p = params();
    app.world = new RL.World(app.rows, p.stepReward);
    app.agent = playable(app.rows) ? new RL.QLearner(app.world, p.gamma, p.alpha, p.epsilon, p.seed) : null;
    app.last = null;
    ["rl-step", "rl-episode", "rl-play", "rl-fast"].forEach(function (id) { el(id).disabled = !app.agent; });
  }

  // ---- drawing -----------------------------------------------------------------------------
  var TRI = [[0, 0, 100, 0], [100, 0, 100, 100], [100, 100, 0, 100], [0, 100, 0, 0]]; // outer edge per action
  var LABEL = [[50, 12], [88, 50], [50, 88], [12, 50]];
  var TIP = [[0, -20], [20, 0], [0, 20], [-20, 0]];

  function colour(q) {
    var a = Math.min(1, Math.abs(q)) * 0.85;
    return q > 0 ? "rgba(10,160,70," + a + ")" : q < 0 ? "rgba(220,30,40," + a + ")" : "transparent";
  }
  function cellSvg(i, j, showNumbers) {
    var x = j * 100, y = i * 100, c = app.rows[i].charAt(j), out = [];
    var tag = ' data-r="' + i + '" data-c="' + j + '"';
    if (c === "#") return '<rect class="rl-wall"' + tag + ' x="' + x + '" y="' + y + '" width="100" height="100"/>';
    if (c === "G" || c === "X") {
      return '<rect class="rl-' + (c === "G" ? "goal" : "pit") + '"' + tag + ' x="' + x + '" y="' + y + '" width="100" height="100"/>' +
        '<text class="rl-term" x="' + (x + 50) + '" y="' + (y + 62) + '">' + (c === "G" ? "+1" : "−1") + "</text>";
    }
    var q = app.agent ? app.agent.q[i][j] : [0, 0, 0, 0];
    for (var a = 0; a < 4; a++) {
      var e = TRI[a], hit = app.last && app.last.s[0] === i && app.last.s[1] === j && app.last.a === a;
      out.push('<polygon class="rl-tri' + (hit ? " rl-hit" : "") + '"' + tag + ' data-a="' + a + '" fill="' + colour(q[a]) +
        '" points="' + (x + e[0]) + "," + (y + e[1]) + " " + (x + e[2]) + "," + (y + e[3]) + " " + (x + 50) + "," + (y + 50) + '"/>');
      if (showNumbers) { // left and right written along the cell's sides, so neighbours never touch
        var lx = x + LABEL[a][0], ly = y + LABEL[a][1], turn = a === 1 ? 90 : a === 3 ? -90 : 0;
        out.push('<text class="rl-q" x="' + lx + '" y="' + ly + '"' + (turn ? ' transform="rotate(' + turn + " " + lx + " " + ly + ')"' : "") +
          ">" + fmt(q[a], 2) + "</text>");
      }
    }
    var best = RL.greedyAction(q);
    if (best !== null) {
      out.push('<line class="rl-policy" x1="' + (x + 50) + '" y1="' + (y + 50) + '" x2="' + (x + 50 + TIP[best][0]) +
        '" y2="' + (y + 50 + TIP[best][1]) + '" marker-end="url(#rl-head)"/>');
    }
    if (c === "S") out.push('<text class="rl-start" x="' + (x + 6) + '" y="' + (y + 24) + '">S</text>');
    return out.join("");
  }
  function drawWorld() {
    var w = app.world.width, h = app.world.height;
    svg.setAttribute("viewBox", "0 0 " + w * 100 + " " + h * 100);
    var px = svg.getBoundingClientRect().width / w;
    var parts = ['<defs><marker id="rl-head" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="3.2" markerHeight="3.2" orient="auto">' +
      '<path d="M0,0 L10,5 L0,10 z" class="rl-head"/></marker></defs>'];
    for (var i = 0; i < h; i++) for (var j = 0; j < w; j++) parts.push(cellSvg(i, j, px >= 64));
    for (var k = 1; k < w; k++) parts.push('<line class="rl-gridline" x1="' + k * 100 + '" y1="0" x2="' + k * 100 + '" y2="' + h * 100 + '"/>');
    for (k = 1; k < h; k++) parts.push('<line class="rl-gridline" x1="0" y1="' + k * 100 + '" x2="' + w * 100 + '" y2="' + k * 100 + '"/>');
    if (app.last) {
      parts.push('<rect class="rl-next" x="' + (app.last.s2[1] * 100 + 4) + '" y="' + (app.last.s2[0] * 100 + 4) + '" width="92" height="92"/>');
      parts.push('<text class="rl-mark" x="' + (app.last.s[1] * 100 + 94) + '" y="' + (app.last.s[0] * 100 + 24) + '">s</text>');
      parts.push('<text class="rl-mark" x="' + (app.last.s2[1] * 100 + 94) + '" y="' + (app.last.s2[0] * 100 + 96) + '">s′</text>');
    }
    if (app.inspect) parts.push('<rect class="rl-inspected" x="' + (app.inspect[1] * 100 + 2) + '" y="' + (app.inspect[0] * 100 + 2) + '" width="96" height="96"/>');
    if (app.agent) {
      var s = app.agent.s;
      parts.push('<circle id="rl-agent" class="rl-agent" data-r="' + s[0] + '" data-c="' + s[1] + '" cx="' + (s[1] * 100 + 50) + '" cy="' + (s[0] * 100 + 50) + '" r="17"/>');
    }
    svg.innerHTML = parts.join("");
  }

  function drawUpdate() {
    var u = app.last, story = el("rl-story"), line = el("rl-update");
    if (!app.agent) { story.textContent = t("cant_run"); line.textContent = ""; return; }
    if (!u) { story.textContent = t("no_step"); line.textContent = ""; return; }
    var how = t(u.explored ? "explored" : "greedy", { arrow: ARROW[u.a] + " " + t(RL.ACTIONS[u.a]) });
    story.textContent = t(u.done ? "story_end" : "story", { how: how, r: fmt(u.r) }) + (u.ended && !u.done ? " " + t("story_limit") : "");
    var p = app.agent, head = "Q(s, " + ARROW[u.a] + ") ← " + fmt(u.oldQ) + " + " + fmt(p.alpha, 2) + " × (";
    var inner = u.done ? fmt(u.r) + " − " + paren(u.oldQ) : fmt(u.r) + " + " + fmt(p.gamma, 2) + " × " + paren(u.maxNext) + " − " + paren(u.oldQ);
    line.textContent = head + inner + ") = " + fmt(u.newQ);
    line.dataset.newQ = u.newQ;
  }

  function drawInspect() {
    var box = el("rl-inspect"), s = app.inspect;
    if (!s) { box.innerHTML = '<p class="muted">' + t("pick_cell") + "</p>"; return; }
    var c = app.rows[s[0]].charAt(s[1]);
    if (c === "#" || c === "G" || c === "X") { box.innerHTML = "<p>" + t(c === "#" ? "wall" : "terminal") + "</p>"; return; }
    var q = app.agent ? app.agent.q[s[0]][s[1]] : [0, 0, 0, 0], best = RL.greedyAction(q);
    box.innerHTML = ["up", "left", "right", "down"].map(function (name) {
      var a = RL.ACTIONS.indexOf(name);
      return '<div class="rl-qcell rl-q-' + name + (a === best ? " best" : "") + '" data-a="' + a + '"><span class="label">' + ARROW[a] + " " +
        t(name) + (a === best ? " · " + t("best") : "") + '</span><strong class="rl-qval">' + fmt(q[a]) + "</strong></div>";
    }).join("");
  }

  function drawReturns() {
    var chart = el("rl-returns"), R = app.agent ? app.agent.returns : [];
    var W = 600, H = 240, L = 56, B = 30, T = 10, Rt = 10;
    var lo = Math.min(-1, Math.min.apply(null, R.concat([0]))), hi = Math.max(1, Math.max.apply(null, R.concat([0])));
    var n = Math.max(R.length, 2);
    function X(k) { return L + (W - L - Rt) * k / (n - 1); }
    function Y(v) { return T + (H - T - B) * (hi - v) / (hi - lo); }
    var parts = ['<line class="axis" x1="' + L + '" y1="' + Y(0) + '" x2="' + (W - Rt) + '" y2="' + Y(0) + '"/>',
      '<line class="axis" x1="' + L + '" y1="' + T + '" x2="' + L + '" y2="' + (H - B) + '"/>'];
    [lo, 0, hi].forEach(function (v) { parts.push('<text x="' + (L - 6) + '" y="' + (Y(v) + 6) + '" text-anchor="end">' + fmt(v, 1) + "</text>"); });
    parts.push('<text x="' + (W - Rt) + '" y="' + (H - 6) + '" text-anchor="end">' + R.length + "</text>");
    if (R.length) {
      var pts = [], avg = [], sum = 0;
      R.forEach(function (r, k) {
        sum += r - (k >= 20 ? R[k - 20] : 0);
        pts.push(X(k).toFixed(1) + "," + Y(r).toFixed(1));
        avg.push(X(k).toFixed(1) + "," + Y(sum / Math.min(k + 1, 20)).toFixed(1));
      });
      parts.push('<polyline class="series s1 rl-ret" points="' + pts.join(" ") + '"/>');
      parts.push('<polyline class="series rl-avg" points="' + avg.join(" ") + '"/>');
    }
    chart.innerHTML = parts.join("");
    chart.dataset.episodes = R.length;
  }

  function exactQ() {
    var body = el("rl-exact-body");
    return body && body.dataset.grid === app.rows.join("_") ? JSON.parse(body.dataset.q) : null;
  }
  function drawAgreement() {
    var box = el("rl-agree"), q = exactQ();
    if (!q || !app.agent) { box.textContent = ""; return; }
    var k = 0, n = 0, near = RL.reachable(app.world);
    for (var i = 0; i < q.length; i++) for (var j = 0; j < q[i].length; j++) {
      var c = app.rows[i].charAt(j), best = RL.greedyAction(q[i][j], 1e-9);
      if (c === "#" || c === "G" || c === "X" || best === null || !near[[i, j]]) continue; // cells it can visit
      n += 1;
      var mine = RL.greedyAction(app.agent.q[i][j]);
      if (mine !== null && q[i][j][mine] >= RL.maxOf(q[i][j]) - 1e-9) k += 1; // one of the best actions
    }
    box.textContent = k === n ? t("agree_all", { n: n }) : t("agree", { k: k, n: n });
    box.dataset.k = k; box.dataset.n = n;
  }

  // keepUrl: an edit whose new address htmx is about to push (replacing here would rewrite the
  // entry the back button returns to).
  function draw(keepUrl) {
    drawWorld(); drawUpdate(); drawInspect(); drawReturns(); drawAgreement();
    var a = app.agent;
    el("rl-counts").textContent = a ? t("counts", { episode: a.returns.length + 1, t: a.t, steps: a.steps }) : "";
    form.elements.steps.value = a ? a.steps : 0;
    if (!keepUrl) history.replaceState(history.state, "", "/rl?" + new URLSearchParams(new FormData(form)).toString());
  }

  // ---- controls ----------------------------------------------------------------------------
  function stop() {
    clearInterval(app.timer); app.timer = null;
    var b = el("rl-play");
    b.textContent = b.dataset.play; b.setAttribute("aria-pressed", "false");
  }
  el("rl-step").addEventListener("click", function () {
    if (app.agent) { app.last = app.agent.step(); draw(); }
    Playground.reveal(this, el("rl-story"));  // what the step did, in words, with the button still under the thumb
  });
  el("rl-episode").addEventListener("click", function () { if (app.agent) { app.last = app.agent.episode(); draw(); } });
  el("rl-fast").addEventListener("click", function () {
    if (!app.agent) return;
    stop();
    for (var k = 0; k < FAST_EPISODES; k++) app.last = app.agent.episode();
    draw();
  });
  el("rl-play").addEventListener("click", function () {
    if (app.timer) { stop(); return; }
    var b = el("rl-play");
    b.textContent = b.dataset.pause; b.setAttribute("aria-pressed", "true");
    app.timer = setInterval(function () { if (app.agent) { app.last = app.agent.step(); draw(); } }, PLAY_MS);
  });
  el("rl-reset").addEventListener("click", function () { reset(); draw(); });

  svg.addEventListener("click", function (e) {
    var box = svg.getBoundingClientRect();
    var j = Math.floor((e.clientX - box.left) / box.width * app.world.width);
    var i = Math.floor((e.clientY - box.top) / box.height * app.world.height);
    if (i < 0 || j < 0 || i >= app.world.height || j >= app.world.width) return;
    var tool = form.ownerDocument.querySelector('input[name="rl-tool"]:checked').value;
    if (tool === "look") { app.inspect = [i, j]; draw(); return; }
    var rows = app.rows.map(function (r) { return tool === "S" ? r.replace("S", ".") : r; });
    rows[i] = rows[i].slice(0, j) + tool + rows[i].slice(j + 1);
    app.rows = rows;
    form.elements.grid.value = rows.join("_");
    reset(); draw(true);
    if (window.htmx) window.htmx.trigger(form, "change");
  });

  // A setting changed: the agent starts again (the address must replay exactly what is shown).
  document.addEventListener("change", function (e) {
    if (e.target.form !== form) return;
    reset(); form.elements.steps.value = 0; draw(true);
  }, true);
  form.addEventListener("input", function (e) {
    var out = el(e.target.id + "-out");
    if (out) out.textContent = e.target.value;
  });
  document.addEventListener("htmx:afterSwap", function (e) { if (e.target.id === "rl-exact") drawAgreement(); });
  document.addEventListener("htmx:historyRestore", function () { window.location.reload(); });
  window.addEventListener("resize", function () { drawWorld(); });

  // Start: replay the steps the address says were taken.
  reset();
  var steps = parseInt(form.elements.steps.value, 10) || 0;
  while (app.agent && app.agent.steps < steps) app.last = app.agent.step();
  draw();
  RL.page = app; // for tests and the curious: the agent on the page (RL.page.agent.q)
  root.dataset.ready = "1";
})();
