// The training lab: "guess the parameter count, then reveal", and copying the Keras code.
// Everything else (form changes, live progress) is htmx.
(function () {
  "use strict";
  var revealed = false;  // once revealed, later designs show their counts at once
  function setup() {
    var box = document.getElementById("train-preview");
    if (!box) return;
    if (!revealed) box.classList.add("hide-answers");
    var button = document.getElementById("reveal-button");
    var guess = document.getElementById("guess");
    var verdict = document.getElementById("guess-verdict");
    if (button && !button.dataset.ready) {
      button.dataset.ready = "1";
      button.addEventListener("click", function () {
        var total = Number(box.dataset.total), g = Number(guess.value);
        if (guess.value !== "") {
          var off = Math.abs(g - total) / Math.max(total, 1);
          verdict.textContent = g === total ? verdict.dataset.right : off <= 0.1 ? verdict.dataset.close : verdict.dataset.off;
        }
        revealed = true;
        box.classList.remove("hide-answers");
      });
    }
    var copy = document.getElementById("copy-code");
    if (copy && !copy.dataset.ready) {
      copy.dataset.ready = "1";
      copy.addEventListener("click", function () {
        var text = document.getElementById("keras-code").textContent;
        var done = function () { if (window.playgroundToast) window.playgroundToast(copy.dataset.copied); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done);
        } else {  // plain http on a classroom LAN: select the code so a long-press copies it
          var range = document.createRange();
          range.selectNodeContents(document.getElementById("keras-code"));
          var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
          try { document.execCommand("copy"); done(); } catch (e) { /* the selection is there */ }
        }
      });
    }
  }
  // The live job region is re-rendered every second: keep open what the learner opened.
  var openDetails = [];
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "job-progress") {
      openDetails = Array.prototype.map.call(e.detail.target.querySelectorAll("details[open][id]"), function (d) { return d.id; });
    }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "job-progress") {
      openDetails.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
    }
  });
  document.addEventListener("DOMContentLoaded", setup);
  document.addEventListener("htmx:afterSettle", setup);
})();
