// Shared by every page: htmx shows error fragments (4xx) in place, and a toast when offline; and
// window.Playground, the three things that pages sending a drawing or a photo by hand all need.
(function () {
  "use strict";
  // htmx 2 writes an aborted request to the console as an error ("htmx:afterRequest", then
  // "htmx:sendAbort"). Here an abort is the design working: hx-sync="this:replace" drops a request
  // when a newer tap wins, and leaving a page drops what is in flight. Only those two exact
  // messages are let go; a failed request still logs "htmx:sendError".
  var consoleError = console.error.bind(console);
  console.error = function (message) {
    if (arguments.length === 1 && (message === "htmx:sendAbort" || message === "htmx:afterRequest")) return;
    consoleError.apply(null, arguments);
  };
  var Playground = window.Playground = {
    // A route's htmx fragment, for a body htmx cannot send (a drawing, a shrunk photo):
    // resolves {ok, status, html}; 4xx answers are translated error fragments too.
    fragment: function (url, body) {
      return fetch(url, { method: body ? "POST" : "GET", body: body, headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (r) { return r.text().then(function (html) { return { ok: r.ok, status: r.status, html: html }; }); });
    },
    // "Latest request wins": at most one run(job) in flight; while it runs only the newest pushed job
    // waits (older ones are dropped). run returns a promise; its second argument tells whether a
    // newer job is waiting (then its answer need not be shown).
    latest: function (run) {
      var inFlight = false, waiting = null;
      function next() {
        if (inFlight || waiting === null) return;
        var job = waiting;
        waiting = null;
        inFlight = true;
        Promise.resolve().then(function () { return run(job, function () { return waiting !== null; }); })
          .catch(function () {}).then(function () { inFlight = false; next(); });
      }
      return { push: function (job) { waiting = job; next(); }, drop: function () { waiting = null; } };
    },
    // A photo as a JPEG whose longer side is at most opts.maxSide. Left as it is: anything the
    // browser cannot decode (the server then says what is wrong with it), a GIF, a file of at most
    // opts.onlyOver bytes, or one already small enough and under opts.keepUnder bytes.
    shrinkImage: function (file, opts) {
      if (!window.createImageBitmap || file.type === "image/gif" || (file.type && !/^image\//.test(file.type)) ||
          file.size <= (opts.onlyOver || 0)) {
        return Promise.resolve(file);
      }
      return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bmp) {
        var scale = Math.min(1, opts.maxSide / Math.max(bmp.width, bmp.height));
        if (scale === 1 && file.size < (opts.keepUnder || 0)) { if (bmp.close) bmp.close(); return file; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bmp.width * scale);
        canvas.height = Math.round(bmp.height * scale);
        canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
        if (bmp.close) bmp.close();
        return new Promise(function (resolve) {
          canvas.toBlob(function (blob) {
            resolve(blob ? new File([blob], (file.name || "photo").replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
          }, "image/jpeg", 0.9);
        });
      }).catch(function () { return file; });
    }
  };
  // After a tap, the control and what it changed are on screen together (a phone shows ~780 px):
  // scroll as little as possible so both fit below the sticky header; if they cannot both fit,
  // the result wins. A control names its result with data-reveal="#selector".
  Playground.reveal = function (control, result) {
    if (typeof control === "string") control = document.querySelector(control);
    if (typeof result === "string") result = document.querySelector(result);
    if (!result || !result.getBoundingClientRect) return;
    var top = stickyTop(result);
    var bottom = window.innerHeight, pad = 8;
    var r = result.getBoundingClientRect();
    var lo = r.top, hi = r.bottom;
    if (control && control.isConnected) {
      var c = control.getBoundingClientRect();
      if (Math.max(hi, c.bottom) - Math.min(lo, c.top) <= bottom - top - 2 * pad) {
        lo = Math.min(lo, c.top); hi = Math.max(hi, c.bottom);
      }
    }
    var dy = 0;
    if (hi > bottom - pad) dy = hi - (bottom - pad);
    if (lo - dy < top + pad) dy = lo - (top + pad);
    if (Math.abs(dy) > 1) window.scrollBy(0, dy);
  };
  // The bottom edge of what stays on top while scrolling: the header and any [data-sticky] bar.
  function stickyTop(except) {
    var header = document.querySelector(".topbar");
    var top = header && getComputedStyle(header).position === "sticky" ? header.getBoundingClientRect().bottom : 0;
    var bars = document.querySelectorAll("[data-sticky]");
    for (var i = 0; i < bars.length; i++) {
      if (bars[i].contains(except) || getComputedStyle(bars[i]).position !== "sticky") continue;
      top += bars[i].getBoundingClientRect().height;
    }
    return Math.max(0, top);
  }
  Playground.stickyTop = stickyTop;
  function topbarHeight() {  // --topbar-h: where a sticky bar below the header sits
    var header = document.querySelector(".topbar");
    if (header) document.documentElement.style.setProperty("--topbar-h", header.getBoundingClientRect().height + "px");
  }
  window.addEventListener("resize", topbarHeight);
  document.addEventListener("DOMContentLoaded", topbarHeight);
  var lastControl = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    var sub = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent && e.detail.requestConfig.triggeringEvent.submitter;
    var ev = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    var elt = sub || (ev && ev.type === "change" && ev.target && ev.target.closest ? ev.target : e.detail.elt);
    var host = elt && elt.closest && (elt.closest("[data-reveal]") || elt.form && elt.form.closest("[data-reveal]"));  // a button outside its form (form="…")
    // typing a number: the page stays put, unless the form asks (data-reveal-change: an error beside the field)
    if (!sub && ev && ev.type === "change" && !(host && host.hasAttribute("data-reveal-change"))) host = null;
    lastControl = host ? { id: elt.id, sel: host.getAttribute("data-reveal") } : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!lastControl) return;
    var c = lastControl;
    lastControl = null;
    Playground.reveal(c.id && document.getElementById(c.id), c.sel);
  });
  // SVG text keeps at least its CSS size on a narrow screen: --svg-scale is user units per CSS px.
  function scaleSvgText() {
    var svgs = document.querySelectorAll("svg.chart, svg[data-scale-text]");
    for (var i = 0; i < svgs.length; i++) {
      var vb = svgs[i].viewBox && svgs[i].viewBox.baseVal, w = svgs[i].getBoundingClientRect().width;
      if (vb && vb.width && w) svgs[i].style.setProperty("--svg-scale", Math.max(1, vb.width / w).toFixed(3));
    }
  }
  window.addEventListener("resize", scaleSvgText);
  document.addEventListener("DOMContentLoaded", scaleSvgText);
  document.addEventListener("htmx:afterSettle", scaleSvgText);
  Playground.scaleSvgText = scaleSvgText;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status >= 400 && status < 600) {
      // Our error responses are translated fragments: swap them in like any answer.
      e.detail.shouldSwap = true;
      e.detail.isError = false;
      var errorTarget = e.detail.requestConfig && e.detail.requestConfig.elt &&
        e.detail.requestConfig.elt.getAttribute("data-error-target");
      if (errorTarget) { e.detail.target = document.querySelector(errorTarget); }
    }
  });
  // A bound HTML cannot state (η > 0: min is inclusive) is data-gt, with the server's own words in
  // data-invalid (rendered by the template): the form is held here instead of asking for a 422 that
  // Chrome would log as a console error. The server still checks (app/labs/*.py).
  document.addEventListener("htmx:validation:validate", function (e) {
    var el = e.target, gt = el.getAttribute && el.getAttribute("data-gt");
    if (gt === null || !el.setCustomValidity) return;
    var v = parseFloat(el.value);
    el.setCustomValidity(el.value !== "" && !isNaN(v) && !(v > parseFloat(gt)) ? el.getAttribute("data-invalid") : "");
  });
  // A form the browser will not send (a number out of its field's range): say so at the field and
  // in the form's error box, as the server's answer would, instead of doing nothing.
  document.addEventListener("htmx:validation:halted", function (e) {
    var errors = e.detail && e.detail.errors, first = errors && errors.length && errors[0].elt;
    if (!first) return;
    var where = e.target.getAttribute && e.target.getAttribute("data-error-target");
    var target = where && document.querySelector(where);
    if (target) {
      var box = document.createElement("div");
      box.className = "error-box"; box.setAttribute("role", "alert");
      box.setAttribute("data-code", "invalid"); box.setAttribute("data-status", "422"); box.setAttribute("data-checked", "browser");
      var icon = document.createElement("span");  // the same box as templates/partials/error.html
      icon.className = "error-icon"; icon.setAttribute("aria-hidden", "true"); icon.textContent = "⚠";
      box.appendChild(icon); box.appendChild(document.createTextNode(" " + first.validationMessage));
      target.innerHTML = ""; target.appendChild(box);
      first.focus();  // the box says it; a browser bubble too would cover the field's label
    } else if (first.reportValidity) first.reportValidity();
  });
  function toast(text) {
    var t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text;
    t.hidden = false;
    clearTimeout(t._timer);
    t._timer = setTimeout(function () { t.hidden = true; }, 5000);
  }
  window.playgroundToast = toast;
  // What inline handlers did before the CSP refused them (script-src 'self'):
  // <form data-confirm="…"> asks before it is sent; <input data-shows="id"> writes its value there.
  document.addEventListener("submit", function (e) {
    var message = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) e.preventDefault();
  });
  document.addEventListener("input", function (e) {
    var id = e.target.getAttribute && e.target.getAttribute("data-shows");
    var out = id && document.getElementById(id);
    if (out) out.textContent = e.target.value;
  });
  document.addEventListener("htmx:sendError", function () {
    var t = document.getElementById("toast");
    toast(t ? t.getAttribute("data-offline") : "offline");
  });
})();
