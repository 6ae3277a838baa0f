// The photo lab: pick, drop, paste or snap a photo; the server answers with the result fragment.
// The photo goes to the server in the request body only; nothing is stored on either side.
(function () {
  "use strict";
  var lab = document.getElementById("photos-lab");
  if (!lab) return;
  var strings = JSON.parse(lab.getAttribute("data-strings") || "{}");
  var maxBytes = parseInt(lab.getAttribute("data-max-bytes"), 10) || 15 * 1024 * 1024;
  var form = document.getElementById("photos-form");
  var result = document.getElementById("photos-result");
  var status = document.getElementById("photos-status");
  var modelSelect = document.getElementById("photos-model");
  var drop = document.getElementById("photos-drop");
  var preview = document.getElementById("photos-preview");
  var previewImg = document.getElementById("photos-preview-img");
  var lastPhoto = null; // the learner's photo, kept in memory to re-ask another model
  var previewUrl = null;

  function say(text) { status.textContent = text || ""; }
  previewImg.addEventListener("error", function () { preview.hidden = true; }); // e.g. HEIC: the server reads it, this browser cannot
  // The centre square the CNN sees, drawn over the learner's photo.
  var square = document.getElementById("photos-square");
  function placeSquare() {
    var w = previewImg.clientWidth, h = previewImg.clientHeight, side = Math.min(w, h);
    if (!side) return;
    square.style.width = side + "px";
    square.style.height = side + "px";
    square.style.left = (w - side) / 2 + "px";
    square.style.top = (h - side) / 2 + "px";
  }
  previewImg.addEventListener("load", placeSquare);
  window.addEventListener("resize", placeSquare);

  function showPreview(blob) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = blob ? URL.createObjectURL(blob) : null;
    preview.hidden = !blob;
    if (blob) previewImg.src = previewUrl; else previewImg.removeAttribute("src");
  }

  function setUrl(example) {
    var q = new URLSearchParams({ model: modelSelect.value });
    if (example) q.set("example", example);
    history.replaceState(null, "", "/photos?" + q.toString());
  }

  function swap(html) {
    result.innerHTML = html;
    if (window.htmx) window.htmx.process(result);
  }

  function send(blob, name) {
    var body = new FormData();
    body.append("image", blob, name || "photo.jpg");
    body.append("model", modelSelect.value);
    say(strings["photos.sending"]);
    lab.classList.add("busy");
    return Playground.fragment(lab.getAttribute("data-classify-url"), body)
      .then(function (r) {
        swap(r.html); say(""); setUrl(null);
        // the answer on screen with the button that asked for it (a phone shows ~780 px)
        Playground.reveal(lab.querySelector(".photos-file"), result.querySelector(".photos-top1, .error-box") || result);
      })
      .catch(function () { say(strings["app.offline"]); })
      .then(function () { lab.classList.remove("busy"); });
  }

  // Photos over the upload limit (a 50-megapixel phone photo) are shrunk here first.
  function shrink(file) {
    return Playground.shrinkImage(file, { maxSide: 2048, onlyOver: maxBytes }).then(function (out) {
      if (out !== file) say(strings["photos.shrunk"]);
      return out;
    });
  }

  // What the server would refuse and this page can see in the file's first bytes (a PDF renamed .jpg,
  // an empty file, not an image at all) is said here, in the server's words, without the round trip
  // whose 415 Chrome would log as a console error. The server still checks everything (app/ml/photos.py);
  // a format that only it can judge (HEIC without pillow-heif, a truncated JPEG) still gets its 4xx.
  var SIGNATURES = [[0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47], [0x47, 0x49, 0x46, 0x38], [0x42, 0x4d],
                    [0x49, 0x49, 0x2a, 0x00], [0x4d, 0x4d, 0x00, 0x2a], [0x00, 0x00, 0x01, 0x00]];  // JPEG PNG GIF BMP TIFF ICO
  function refusal(head) {
    var starts = function (sig, at) { return sig.every(function (b, i) { return head[(at || 0) + i] === b; }); };
    var text = function (a, b) { return String.fromCharCode.apply(null, Array.prototype.slice.call(head, a, b)); };
    if (!head.length) return "photos.error_empty";
    if (text(0, 5) === "%PDF-") return "photos.error_pdf";
    if (text(0, 4) === "RIFF" && text(8, 12) === "WEBP") return null;
    if (text(4, 8) === "ftyp") return null;  // HEIC / AVIF: the server says whether it reads them
    return SIGNATURES.some(function (sig) { return starts(sig); }) ? null : "photos.error_not_image";
  }
  function sayRefusal(key) {  // the same box as the server's error fragment (templates/partials/error.html)
    var box = document.createElement("div");
    box.className = "error-box"; box.setAttribute("role", "alert");
    box.setAttribute("data-code", key); box.setAttribute("data-status", key === "photos.error_empty" ? "422" : "415"); box.setAttribute("data-checked", "browser");
    var icon = document.createElement("span");
    icon.className = "error-icon"; icon.setAttribute("aria-hidden", "true"); icon.textContent = "⚠";
    box.appendChild(icon); box.appendChild(document.createTextNode(" " + strings[key]));
    result.innerHTML = ""; result.appendChild(box);
    showPreview(null); lastPhoto = null; say("");
    Playground.reveal(lab.querySelector(".photos-file"), box);
  }

  function use(file) {
    if (!file) return;
    file.slice(0, 16).arrayBuffer().then(function (buf) {
      var key = refusal(new Uint8Array(buf));
      if (key) sayRefusal(key); else useImage(file);
    });
  }

  function useImage(file) {
    shrink(file).then(function (blob) {
      lastPhoto = { blob: blob, name: file.name || "photo.jpg" };
      showPreview(blob);
      document.querySelectorAll(".photos-thumb.current").forEach(function (a) { a.classList.remove("current"); });
      send(blob, lastPhoto.name);
    });
  }

  ["photos-file", "photos-capture"].forEach(function (id) {
    var input = document.getElementById(id);
    input.addEventListener("change", function () { use(input.files && input.files[0]); input.value = ""; });
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });

  // Drag and drop, and paste (a screenshot, or an image copied from another page).
  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function () { drop.classList.remove("dragging"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    var files = e.dataTransfer && e.dataTransfer.files;
    if (files && files.length) use(files[0]);
  });
  document.addEventListener("paste", function (e) {
    var items = (e.clipboardData && e.clipboardData.items) || [];
    for (var i = 0; i < items.length; i++) {
      if (items[i].kind === "file" && items[i].type.indexOf("image/") === 0) { use(items[i].getAsFile()); e.preventDefault(); return; }
    }
  });

  // A live camera (getUserMedia), where the browser offers one: snap a frame, classify it.
  var startBtn = document.getElementById("photos-camera-start");
  var camera = document.getElementById("photos-camera");
  var video = document.getElementById("photos-video");
  var stream = null;
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) startBtn.hidden = false;
  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.srcObject = null;
    camera.hidden = true;
  }
  startBtn.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      camera.hidden = false;
    }, function () { say(strings["photos.camera_denied"]); });
  });
  document.getElementById("photos-camera-stop").addEventListener("click", stopCamera);
  document.getElementById("photos-camera-snap").addEventListener("click", function () {
    if (!stream || !video.videoWidth) return;
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) { use(new File([blob], "camera.jpg", { type: "image/jpeg" })); }, "image/jpeg", 0.92);
  });

  // Another model: ask again about the same photo (or the same example).
  modelSelect.addEventListener("change", function () {
    var answer = result.querySelector("[data-example]");
    if (lastPhoto && !answer) { send(lastPhoto.blob, lastPhoto.name); return; }
    var example = answer && answer.getAttribute("data-example");
    if (example) showExample(example, false); else setUrl(null);
  });
  // An example: its fragment from /photos/result, and its address in the bar (a teacher can share it).
  function showExample(example, push) {
    var q = new URLSearchParams({ model: modelSelect.value, example: example }).toString();
    say(strings["photos.sending"]);
    return Playground.fragment("/photos/result?" + q)
      .then(function (r) {
        swap(r.html);
        say("");
        if (push) history.pushState({ example: example }, "", "/photos?" + q); else setUrl(example);
      })
      .catch(function () { say(strings["app.offline"]); });
  }
  document.addEventListener("click", function (e) {
    var thumb = e.target.closest && e.target.closest(".photos-thumb");
    if (!thumb || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    lastPhoto = null;
    showPreview(null);
    document.querySelectorAll(".photos-thumb.current").forEach(function (a) { a.classList.remove("current"); });
    thumb.classList.add("current");
    showExample(thumb.getAttribute("data-example"), true);
  });
  window.addEventListener("popstate", function () { location.reload(); });
})();
