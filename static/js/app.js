// Shared by every page: htmx shows error fragments (4xx) in place, and a toast when offline.
(function () {
  "use strict";
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
  function toast(text) {
    var t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text;
    t.hidden = false;
    clearTimeout(t._timer);
    t._timer = setTimeout(function () { t.hidden = true; }, 5000);
  }
  window.playgroundToast = toast;
  document.addEventListener("htmx:sendError", function () {
    var t = document.getElementById("toast");
    toast(t ? t.getAttribute("data-offline") : "offline");
  });
})();
