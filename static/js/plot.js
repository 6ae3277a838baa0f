// Tiny canvas plotting shared by the labs that train in the browser (/fit, /playground): a view
// maps data coordinates to pixels; colours come from the page's CSS (projector mode included).
(function (root) {
  "use strict";
  function css(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }
  // Make the canvas as sharp as the screen: its bitmap follows its CSS width × devicePixelRatio.
  function fit(canvas) {
    var ratio = canvas.height / canvas.width, dpr = window.devicePixelRatio || 1;
    var w = Math.max(200, Math.round(canvas.clientWidth * dpr)) || canvas.width;
    if (Math.abs(canvas.width - w) > 2) { canvas.width = w; canvas.height = Math.round(w * ratio); }
    return canvas.width / (canvas.clientWidth || canvas.width);
  }
  function view(canvas, xr, yr, opts) {
    opts = opts || {};
    var scale = fit(canvas), ctx = canvas.getContext("2d");
    var rem = parseFloat(getComputedStyle(document.documentElement).fontSize) / 16 || 1;  // projector mode: bigger
    var font = (opts.font || 14) * rem * scale;
    var m = { l: 3.4 * font, r: 0.8 * font, t: 0.8 * font, b: 2.2 * font };
    var W = canvas.width, H = canvas.height;
    var v = {
      ctx: ctx, canvas: canvas, xr: xr, yr: yr, scale: scale, font: font, left: m.l, right: W - m.r, top: m.t, bottom: H - m.b,
      sx: function (x) { return m.l + (x - xr[0]) / (xr[1] - xr[0]) * (W - m.l - m.r); },
      sy: function (y) { return H - m.b - (y - yr[0]) / (yr[1] - yr[0]) * (H - m.t - m.b); },
      px2x: function (px) { return xr[0] + (px * scale - m.l) / (W - m.l - m.r) * (xr[1] - xr[0]); },
      py2y: function (py) { return yr[0] + (H - m.b - py * scale) / (H - m.t - m.b) * (yr[1] - yr[0]); }
    };
    v.clear = function () {
      ctx.fillStyle = css("--card", "#fff");
      ctx.fillRect(0, 0, W, H);
    };
    v.axes = function (xticks, yticks, yfmt) {
      var fmt = function (t) { return String(+t.toFixed(3)).replace("-", "−"); };
      yfmt = yfmt || fmt;
      ctx.strokeStyle = css("--line", "#ccc"); ctx.lineWidth = scale; ctx.fillStyle = css("--muted", "#555");
      ctx.font = font + "px " + css("--font", "sans-serif");
      ctx.textAlign = "center"; ctx.textBaseline = "top";
      xticks.forEach(function (t) {
        ctx.beginPath(); ctx.moveTo(v.sx(t), v.top); ctx.lineTo(v.sx(t), v.bottom); ctx.stroke();
        ctx.fillText(fmt(t), v.sx(t), v.bottom + 0.4 * font);
      });
      ctx.textAlign = "right"; ctx.textBaseline = "middle";
      yticks.forEach(function (t) {
        ctx.beginPath(); ctx.moveTo(v.left, v.sy(t)); ctx.lineTo(v.right, v.sy(t)); ctx.stroke();
        ctx.fillText(yfmt(t), v.left - 0.4 * font, v.sy(t));
      });
    };
    v.line = function (xs, ys, color, width, dash) {
      ctx.save();
      ctx.beginPath(); ctx.rect(v.left, v.top, v.right - v.left, v.bottom - v.top); ctx.clip();
      ctx.strokeStyle = color; ctx.lineWidth = (width || 3) * scale; ctx.setLineDash((dash || []).map(function (d) { return d * scale; }));
      ctx.beginPath();
      for (var i = 0; i < xs.length; i++) {
        var px = v.sx(xs[i]), py = v.sy(ys[i]);
        if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.stroke();
      ctx.restore();
    };
    v.dots = function (xs, ys, color, r) {
      ctx.fillStyle = color;
      for (var i = 0; i < xs.length; i++) {
        ctx.beginPath(); ctx.arc(v.sx(xs[i]), v.sy(ys[i]), (r || 3) * scale, 0, 2 * Math.PI); ctx.fill();
      }
    };
    return v;
  }
  // Loss history: keeps at most `cap` points, halving the resolution when full.
  function history(cap) {
    var h = { steps: [], values: [], every: 1, n: 0, cap: cap || 400 };
    h.add = function (step, value) {  // keeps every `every`-th call; `every` doubles when full
      if (h.n++ % h.every !== 0) return;
      h.steps.push(step); h.values.push(value);
      if (h.steps.length > h.cap) {
        h.every *= 2;
        h.steps = h.steps.filter(function (_, i) { return i % 2 === 0; });
        h.values = h.values.filter(function (_, i) { return i % 2 === 0; });
      }
    };
    return h;
  }
  function ticks(lo, hi, n) {
    var raw = (hi - lo) / (n || 5), p = Math.pow(10, Math.floor(Math.log10(raw))), step = p;
    [1, 2, 5, 10].forEach(function (m) { if (Math.abs(Math.log(m * p / raw)) < Math.abs(Math.log(step / raw))) step = m * p; });
    var out = [];
    for (var k = Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k++) out.push(+(k * step).toFixed(10));
    return out;
  }
  // A loss chart: log-scale y when the loss spans more than two decades
  function lossChart(canvas, hist, colors) {
    var n = hist.steps.length, last = n ? hist.steps[n - 1] : 1;
    var vals = hist.values.filter(function (x) { return isFinite(x) && x > 0; });
    var lo = vals.length ? Math.min.apply(null, vals) : 0.001, hi = vals.length ? Math.max.apply(null, vals) : 1;
    var logy = hi / lo > 100, tr = logy ? Math.log10 : function (x) { return x; };
    var yr = logy ? [Math.floor(tr(lo)), Math.ceil(tr(hi))] : [0, hi * 1.05 || 1];
    var v = view(canvas, [0, Math.max(last, 1)], yr);
    v.clear();
    var yt = logy ? ticks(yr[0], yr[1], Math.min(5, yr[1] - yr[0])) : ticks(yr[0], yr[1], 4);
    v.axes(ticks(0, Math.max(last, 1), 4), yt, logy ? function (t) { return "10" + String(t).replace("-", "⁻").replace(/\d/g, function (d) { return "⁰¹²³⁴⁵⁶⁷⁸⁹"[d]; }); } : undefined);
    (colors || [css("--accent", "#06f")]).forEach(function (color, k) {
      var vs = k === 0 ? hist.values : (hist.extra || [])[k - 1] || [];
      v.line(hist.steps, vs.map(function (x) { return tr(Math.max(x, 1e-12)); }), color, 3);
    });
    return v;
  }
  root.Plot = { css: css, view: view, history: history, ticks: ticks, lossChart: lossChart };
})(window);
