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
  function shrink(file) {
    // A decodable image → a JPEG whose longer side is at most MAX_SIDE; anything else is sent as
    // it is, so that the server can say what is wrong with it (a PDF, a huge file…).
    if (!/^image\//.test(file.type) || !window.createImageBitmap || file.type === "image/gif") {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bmp) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      if (scale === 1 && file.size < 400000) { bmp.close && bmp.close(); return file; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      bmp.close && bmp.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], (file.name || "photo").replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.9);
      });
    }).catch(function () { return file; });
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
      return fetch(form.action, { method: "POST", body: data, headers: { "HX-Request": "true" }, credentials: "same-origin" });
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok) {
          slot.innerHTML = html;
          if (window.htmx) window.htmx.process(slot);
          document.body.dispatchEvent(new CustomEvent("classifier-changed"));
        } else {
          if (status) status.textContent = "";
          if (error) error.innerHTML = html;
          form.querySelectorAll("input[type=file]").forEach(function (i) { i.disabled = false; i.value = ""; });
        }
      });
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
  document.addEventListener("submit", function (e) {
    var message = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) e.preventDefault();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpClassFields);
  else setUpClassFields();
})();
