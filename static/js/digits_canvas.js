/* DigitCanvas — a small drawing pad for handwritten digits (mouse, pen and touch).
 *
 * Reusable on any page: no dependencies, no server calls. It draws round strokes on a
 * <canvas> with a transparent background (the PNG's alpha channel is the ink), keeps the
 * strokes for undo, and tells you when the drawing changed — throttled while a stroke is
 * being drawn, and always at the end of each stroke.
 *
 *   <div id="pad"><canvas width="280" height="280"></canvas></div>
 *   <script src="/static/js/digits_canvas.js"></script>
 *   var pad = DigitCanvas.create(document.getElementById("pad"), {
 *     brush: 18,            // stroke diameter in canvas pixels (the bitmap is 280×280 by default)
 *     throttle: 150,        // at most one "drawing" change per this many ms while drawing
 *     ink: false,           // true: onChange gets pad.inkBox() instead of a PNG (no PNG to encode)
 *     onChange: function (blob, detail) {
 *       // blob: the drawing as a PNG Blob (or, with ink: true, its ink box), or null when the pad is empty
 *       // detail.reason: "drawing" (during a stroke), "stroke" (a stroke ended), "undo", "clear"
 *     }
 *   });
 *   pad.setBrush(24); pad.undo(); pad.clear(); pad.isEmpty(); pad.strokeCount();
 *   pad.setThrottle(400);                         // e.g. slower while the server is slow
 *   pad.toBlob().then(function (blob) { ... });   // PNG Blob or null
 *   pad.inkBox();   // {width, height, data: Uint8Array}: the alpha channel (0 = paper … 255 = ink)
 *                   // cut to the box of pixels with any ink, row by row; null when empty.
 *                   // Its Python twin: app/ml/digits.py ink_box().
 *   pad.destroy();                                // removes its listeners
 *
 * The container also receives a "digitcanvas:change" CustomEvent with
 * detail = {blob, reason, empty}, so other scripts can listen without a callback.
 * Ink colour: the canvas's CSS `color` (so a dark projector theme draws light ink).
 * While drawing, the page neither scrolls nor zooms (touch-action: none on the canvas).
 */
(function (global) {
  "use strict";

  function create(container, options) {
    options = options || {};
    var canvas = container.tagName === "CANVAS" ? container : container.querySelector("canvas");
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.width = canvas.height = options.size || 280;
      container.appendChild(canvas);
    }
    var ctx = canvas.getContext("2d", { willReadFrequently: !!options.ink });  // inkBox() reads pixels back
    var brush = Number(options.brush || container.getAttribute("data-brush") || 18);
    var throttleMs = options.throttle == null ? 150 : options.throttle;
    var onChange = options.onChange || function () {};
    var strokes = [];      // [{brush, color, points: [[x, y], ...]}]
    var current = null;    // the stroke under the pointer
    var pointerId = null;
    var lastEmit = 0, trailing = null;
    var pending = 0;       // changes being encoded (container's data-pending: tests wait for 0)

    canvas.style.touchAction = "none";  // no scroll, no pinch-zoom while drawing
    canvas.classList.add("digit-canvas");

    function inkColor() {
      return options.color || getComputedStyle(canvas).color || "#000";
    }

    function toCanvas(e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    }

    function drawStroke(s) {
      var p = s.points;
      ctx.strokeStyle = ctx.fillStyle = s.color;
      ctx.lineWidth = s.brush;
      ctx.lineCap = ctx.lineJoin = "round";
      if (p.length === 1) {  // a dot
        ctx.beginPath();
        ctx.arc(p[0][0], p[0][1], s.brush / 2, 0, 2 * Math.PI);
        ctx.fill();
        return;
      }
      ctx.beginPath();
      ctx.moveTo(p[0][0], p[0][1]);
      for (var i = 1; i < p.length; i++) ctx.lineTo(p[i][0], p[i][1]);
      ctx.stroke();
    }

    function redraw() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      strokes.forEach(drawStroke);
      if (current) drawStroke(current);
      container.classList.toggle("has-ink", !isEmpty());
    }

    function isEmpty() {
      return strokes.length === 0 && !current;
    }

    function toBlob() {
      return new Promise(function (resolve) {
        if (isEmpty()) return resolve(null);
        canvas.toBlob(function (blob) { resolve(blob); }, "image/png");
      });
    }

    function inkBox() {
      if (isEmpty()) return null;
      var w = canvas.width, h = canvas.height;
      var rgba = ctx.getImageData(0, 0, w, h).data;
      var top = h, bottom = -1, left = w, right = -1, x, y;
      for (y = 0; y < h; y++) {
        var row = y * w * 4, inked = false;
        for (x = 0; x < w; x++) {
          if (rgba[row + 4 * x + 3]) {
            inked = true;
            if (x < left) left = x;
            if (x > right) right = x;
          }
        }
        if (inked) { if (y < top) top = y; bottom = y; }
      }
      if (bottom < 0) return null;
      var bw = right - left + 1, bh = bottom - top + 1, data = new Uint8Array(bw * bh);
      for (y = 0; y < bh; y++) {
        for (x = 0; x < bw; x++) data[y * bw + x] = rgba[((top + y) * w + left + x) * 4 + 3];
      }
      return { width: bw, height: bh, data: data };
    }

    function emit(reason) {
      lastEmit = Date.now();
      clearTimeout(trailing);
      trailing = null;
      pending++;
      container.setAttribute("data-pending", pending);
      (options.ink ? Promise.resolve(inkBox()) : toBlob()).then(function (blob) {
        pending--;
        container.setAttribute("data-pending", pending);
        var detail = { blob: blob, reason: reason, empty: !blob };
        onChange(blob, detail);
        container.dispatchEvent(new CustomEvent("digitcanvas:change", { detail: detail }));
      });
    }

    function emitThrottled() {
      var wait = throttleMs - (Date.now() - lastEmit);
      if (wait <= 0) emit("drawing");
      else if (!trailing) trailing = setTimeout(function () { if (current) emit("drawing"); }, wait);
    }

    function down(e) {
      if (pointerId !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
      e.preventDefault();
      pointerId = e.pointerId;
      try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events */ }
      current = { brush: brush, color: inkColor(), points: [toCanvas(e)] };
      redraw();
    }

    function move(e) {
      if (!current || e.pointerId !== pointerId) return;
      e.preventDefault();
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
      if (!events.length) events = [e];
      events.forEach(function (ev) { current.points.push(toCanvas(ev)); });
      redraw();
      emitThrottled();
    }

    function up(e) {
      if (!current || e.pointerId !== pointerId) return;
      strokes.push(current);
      current = null;
      pointerId = null;
      redraw();
      emit("stroke");
    }

    function stopTouchScroll(e) {  // older iOS Safari ignores touch-action for some gestures
      if (e.target === canvas) e.preventDefault();
    }

    canvas.addEventListener("pointerdown", down);
    canvas.addEventListener("pointermove", move);
    canvas.addEventListener("pointerup", up);
    canvas.addEventListener("pointercancel", up);
    canvas.addEventListener("touchmove", stopTouchScroll, { passive: false });
    canvas.addEventListener("touchstart", stopTouchScroll, { passive: false });
    redraw();

    return {
      canvas: canvas,
      setBrush: function (size) { brush = Math.max(1, Number(size) || brush); },
      setThrottle: function (ms) { throttleMs = Math.max(0, Number(ms) || 0); },
      throttle: function () { return throttleMs; },
      brush: function () { return brush; },
      undo: function () {
        if (!strokes.length) return;
        strokes.pop();
        redraw();
        emit("undo");
      },
      clear: function () {
        strokes = [];
        current = null;
        pointerId = null;
        redraw();
        emit("clear");
      },
      isEmpty: isEmpty,
      strokeCount: function () { return strokes.length; },
      toBlob: toBlob,
      inkBox: inkBox,
      redraw: redraw,
      destroy: function () {
        clearTimeout(trailing);
        canvas.removeEventListener("pointerdown", down);
        canvas.removeEventListener("pointermove", move);
        canvas.removeEventListener("pointerup", up);
        canvas.removeEventListener("pointercancel", up);
        canvas.removeEventListener("touchmove", stopTouchScroll);
        canvas.removeEventListener("touchstart", stopTouchScroll);
      }
    };
  }

  global.DigitCanvas = { create: create };
})(window);
