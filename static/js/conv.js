// The convolution explorer: typed numbers go into the form's hidden `image`/`kernel` fields
// (rows joined by "_", cells by ","), and "Play" presses "Next" until the board is full.
// Everything else is htmx: the server renders every step.
(function () {
  "use strict";
  var STEP_MS = 700;
  var timer = null;

  function stage() { return document.getElementById("conv-stage"); }

  function serialise(form, grid) {
    var cells = form.querySelectorAll('input[data-grid="' + grid + '"]');
    var rows = [];
    cells.forEach(function (cell) {
      var r = +cell.dataset.r, c = +cell.dataset.c;
      (rows[r] = rows[r] || [])[c] = cell.value.trim();  // an empty box stays empty: the server says so
    });
    return rows.map(function (row) { return row.join(","); }).join("_");
  }

  document.addEventListener("input", function (e) {
    var cell = e.target;
    if (!cell.dataset || !cell.dataset.grid) return;
    var form = cell.form;
    if (!form || form.id !== "conv-form") return;
    form.elements[cell.dataset.grid].value = serialise(form, cell.dataset.grid);
  });

  function setPlayLabel(playing) {
    var button = document.getElementById("conv-play");
    var host = stage();
    if (!button || !host) return;
    button.textContent = playing ? host.dataset.pause : host.dataset.play;
    button.setAttribute("aria-pressed", playing ? "true" : "false");
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    setPlayLabel(false);
  }

  function tick() {
    var next = document.getElementById("conv-next");
    if (!next || next.getAttribute("aria-disabled") === "true") { stop(); return; }
    if (!next.classList.contains("htmx-request")) next.click();  // a slow network: wait for the last step
    timer = setTimeout(tick, Number(stage().dataset.stepMs) || STEP_MS);  // data-step-ms: a faster Play
  }

  document.addEventListener("click", function (e) {
    var play = e.target.closest && e.target.closest("#conv-play");
    if (play) {
      e.preventDefault();
      if (timer) { stop(); } else { setPlayLabel(true); tick(); }
      return;
    }
    // A person pressing any other control takes over from Play.
    if (e.isTrusted && timer && e.target.closest && e.target.closest("#conv-stage a, #conv-stage input")) stop();
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "conv-stage") setPlayLabel(!!timer);
    // A refused number (bias 5000, an emptied cell): bring its message on screen, on a phone too.
    if (e.detail.target && e.detail.target.id === "conv-errors") e.detail.target.scrollIntoView({ block: "nearest" });
  });
  document.addEventListener("htmx:responseError", stop);

  // Arrow keys step the filter (for a teacher with a clicker), unless a number is being typed.
  document.addEventListener("keydown", function (e) {
    if (!stage() || e.altKey || e.ctrlKey || e.metaKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    var id = { ArrowRight: "conv-next", PageDown: "conv-next", ArrowLeft: "conv-prev", PageUp: "conv-prev" }[e.key];
    var link = id && document.getElementById(id);
    if (link && link.getAttribute("aria-disabled") !== "true") { e.preventDefault(); link.click(); }
  });
})();
