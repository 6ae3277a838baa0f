// A presenter remote or keyboard walks the steps: → / PageDown press "Next", ← / PageUp press "Back".
// Used by the neuron and the gradient-descent labs: their buttons carry data-key="next" / "back".
(function () {
  "use strict";
  var KEYS = { ArrowRight: "next", PageDown: "next", ArrowLeft: "back", PageUp: "back" };
  document.addEventListener("keydown", function (e) {
    var which = KEYS[e.key];
    var t = e.target;
    if (!which || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (t && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))) return; // typing a number
    var button = document.querySelector('[data-key="' + which + '"]:not([disabled])');
    if (!button) return;
    e.preventDefault();
    button.click();
  });
})();
