/* The digit lab page: the drawing pad (digits_canvas.js) → POST /digits/predict → the answer region.
 * At most one request in flight; while it runs only the newest drawing waits, older ones are dropped.
 * The model switch and the brush size live in the URL (replaceState), so the address is the state. */
(function () {
  "use strict";
  var lab = document.getElementById("digits-lab");
  if (!lab || !window.DigitCanvas) return;
  var strings = JSON.parse(lab.getAttribute("data-strings") || "{}");
  var result = document.getElementById("digits-result");
  var status = document.getElementById("digits-status");
  var form = document.getElementById("digits-models");
  var brushInput = document.getElementById("digits-brush");
  var emptyResult = result.innerHTML;
  var emptyQuick = document.getElementById("digits-quick").cloneNode(true);
  var showNumbers = false;
  var latest = 0;
  var queue = Playground.latest(send);  // at most one request in flight; only the newest drawing waits

  var pad = DigitCanvas.create(document.getElementById("digit-pad"), {
    brush: Number(brushInput.value),
    onChange: function (blob) {
      latest++;
      if (!blob) {  // cleared or undone to nothing: back to the empty answer
        queue.drop();
        result.innerHTML = emptyResult;
        document.getElementById("digits-quick").replaceWith(emptyQuick.cloneNode(true));
        setStatus("");
        wirePixels();
        return;
      }
      lab.setAttribute("data-latest", latest);
      queue.push({ blob: blob, seq: latest });
    }
  });

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("error-box", !!isError);
  }

  function send(job, newerWaiting) {
    lab.classList.add("busy");
    var data = new FormData();
    data.append("image", job.blob, "digit.png");
    data.append("model", form.elements.model.value);
    data.append("vs", form.elements.vs.value);
    return Playground.fragment(lab.getAttribute("data-predict-url"), data)
      .then(function (r) {
        if (job.seq < latest && newerWaiting()) return;  // a newer drawing is already waiting
        if (pad.isEmpty()) return;
        lab.setAttribute("data-shown", job.seq);
        if (r.ok) {
          result.innerHTML = r.html;
          moveOutOfBand();
          setStatus("");
          wirePixels();
        } else {  // a translated error fragment (e.g. "draw a digit first")
          var tmp = document.createElement("div");
          tmp.innerHTML = r.html;
          setStatus(tmp.textContent.trim(), true);
        }
      })
      .catch(function () { setStatus(strings["digits.error_offline"], true); })
      .then(function () { lab.classList.remove("busy"); });
  }

  // Parts of the fragment that belong elsewhere on the page (htmx's out-of-band swap, by id).
  function moveOutOfBand() {
    result.querySelectorAll("[data-oob]").forEach(function (el) {
      var old = document.getElementById(el.id);
      if (old && old !== el) old.replaceWith(el);
    });
  }

  function repredict() {
    pad.toBlob().then(function (blob) {
      if (blob) { latest++; lab.setAttribute("data-latest", latest); queue.push({ blob: blob, seq: latest }); }
    });
  }

  function saveState() {
    var q = new URLSearchParams({ model: form.elements.model.value, vs: form.elements.vs.value, brush: brushInput.value });
    history.replaceState(null, "", "/digits?" + q.toString());
    document.querySelectorAll("#lang-switch, #projector-switch").forEach(function (a) {
      var url = new URL(a.href, location.href);
      url.searchParams.set("next", location.pathname + location.search);
      a.href = url.pathname + url.search;
    });
  }

  // The 28×28 picture: hover or tap a square to read its number; optionally print all numbers.
  function wirePixels() {
    var svg = result.querySelector("svg.digits-grid");
    var readout = result.querySelector(".digits-readout");
    var toggle = result.querySelector("input.show-numbers");
    if (!svg) return;
    var pixels = svg.getAttribute("data-pixels") ? JSON.parse(svg.getAttribute("data-pixels")) : null;
    var cursor = svg.querySelector("rect.cursor");
    if (toggle) {
      toggle.checked = showNumbers;
      svg.classList.toggle("with-numbers", showNumbers);
      toggle.addEventListener("change", function () {
        showNumbers = toggle.checked;
        svg.classList.toggle("with-numbers", showNumbers);
      });
    }
    if (!pixels) return;
    function point(e) {
      var r = svg.getBoundingClientRect();
      var col = Math.floor((e.clientX - r.left) / r.width * 28), row = Math.floor((e.clientY - r.top) / r.height * 28);
      if (row < 0 || row > 27 || col < 0 || col > 27) return;
      cursor.setAttribute("x", col);
      cursor.setAttribute("y", row);
      cursor.removeAttribute("hidden");
      readout.textContent = strings["digits.readout"].replace("{row}", row + 1).replace("{col}", col + 1)
        .replace("{value}", pixels[row][col]);
    }
    svg.addEventListener("pointermove", point);
    svg.addEventListener("pointerdown", point);
  }

  document.getElementById("digits-undo").addEventListener("click", function () { pad.undo(); });
  document.getElementById("digits-clear").addEventListener("click", function () { pad.clear(); });
  brushInput.addEventListener("input", function () { pad.setBrush(brushInput.value); });
  brushInput.addEventListener("change", saveState);
  form.addEventListener("change", function (e) {
    if (e.target === brushInput) return;
    saveState();
    if (pad.isEmpty()) {
      location.reload();  // the empty answer cards with the new models' titles
    } else {
      repredict();
    }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  wirePixels();
  lab.classList.add("ready");
})();
