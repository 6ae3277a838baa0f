// The "teach it your own classes" lab: more class fields, photo uploads (shrunk first),
// the camera, copy-the-link, and a confirm before deleting. Everything else is htmx.
(function () {
  "use strict";
  var MAX_SIDE = 640; // the server keeps a 224 × 224 centre crop: a phone's 12 MP photo need not travel

  function strings() {
    var el = document.getElementById("clf-strings");
    return el ? JSON.parse(el.textContent) : {};
  }
  function fmt(text, params) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return k in params ? params[k] : m; });
  }

  // --- the create form: reveal one more class field at a time ---------------------------------
  function setUpClassFields() {
    var more = document.getElementById("add-class");
    var list = document.getElementById("class-inputs");
    if (!more || !list) return;
    function hidden() { return list.querySelectorAll("li[hidden]"); }
    more.hidden = hidden().length === 0;
    more.addEventListener("click", function () {
      var next = hidden()[0];
      if (!next) return;
      next.hidden = false;
      next.querySelector("input").focus();
      more.hidden = hidden().length === 0;
    });
  }

  // --- photos: shrink in the browser, then send ------------------------------------------------
  function shrink(file) {  // anything the browser cannot decode is sent as it is (the server says why)
    return Playground.shrinkImage(file, { maxSide: MAX_SIDE, keepUnder: 400000 });
  }

  function upload(form, files) {
    var index = form.getAttribute("data-index");
    var slot = document.getElementById("class-" + index);
    var status = document.getElementById("upload-status-" + index);
    var error = document.getElementById("upload-error-" + index);
    var s = strings();
    if (error) error.innerHTML = "";
    if (status) status.textContent = s["classifiers.shrinking"] || "";
    form.querySelectorAll("input[type=file]").forEach(function (i) { i.disabled = true; });
    Promise.all(Array.prototype.map.call(files, shrink)).then(function (ready) {
      var data = new FormData();
      ready.forEach(function (f) { data.append("images", f, f.name || "photo.jpg"); });
      if (status) status.textContent = fmt(s["classifiers.uploading"], { n: ready.length });
      return Playground.fragment(form.action, data);
    }).then(function (response) {
      if (response.ok) {
        slot.innerHTML = response.html;
        if (window.htmx) window.htmx.process(slot);
        document.body.dispatchEvent(new CustomEvent("classifier-changed"));
      } else {
        if (status) status.textContent = "";
        if (error) error.innerHTML = response.html;
        form.querySelectorAll("input[type=file]").forEach(function (i) { i.disabled = false; i.value = ""; });
      }
    }).catch(function () {
      if (status) status.textContent = "";
      form.querySelectorAll("input[type=file]").forEach(function (i) { i.disabled = false; i.value = ""; });
      if (window.playgroundToast) window.playgroundToast(s["app.offline"] || "offline");
    });
  }

  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input[data-upload-input]") || !input.files || !input.files.length) return;
    upload(input.closest("form[data-upload]"), input.files);
  });

  // --- copy the share link; confirm before deleting --------------------------------------------
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () { if (window.playgroundToast) window.playgroundToast(strings()["classifiers.copied"] || "✓"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpClassFields);
  else setUpClassFields();
})();
