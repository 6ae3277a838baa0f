/* Your drawing inside the CNN: the drawing pad (digits_canvas.js) → POST /conv/digit/layers →
 * every layer's feature maps, once per stroke (at its end), ~26 KB gzipped. At most one request
 * in flight; only the newest drawing waits.
 * Brush size and colour scale live in the URL (replaceState). Tapping a map enlarges it. */
(function () {
  "use strict";
  var lab = document.getElementById("cnn-lab");
  if (!lab || !window.DigitCanvas) return;
  var strings = JSON.parse(lab.getAttribute("data-strings") || "{}");
  var layers = document.getElementById("cnn-layers");
  // Taken before htmx swaps the learned filters in, so that "clear" can ask for them again.
  var status = document.getElementById("cnn-status");
  var form = document.getElementById("cnn-form");
  var brush = document.getElementById("cnn-brush");
  var empty = layers.innerHTML;
  var queue = Playground.latest(send);  // at most one request in flight; only the newest drawing waits

  var pad = DigitCanvas.create(document.getElementById("cnn-pad"), {
    brush: Number(brush.value),
    onChange: function (blob, detail) {
      if (!blob) { queue.drop(); showEmpty(); setStatus(""); return; }
      // Classroom Wi-Fi: every layer's maps once, when the stroke ends (not 13 times during it)
      if (detail && detail.reason === "drawing") return;
      queue.push(blob);
    }
  });

  var quick = document.getElementById("cnn-quick");
  function showQuick() {  // the answer card's copy under the pad (shown on a phone only), without its ids
    var answer = layers.querySelector(".cnn-answer");
    quick.innerHTML = "";
    if (answer) {
      var copy = answer.cloneNode(true);
      copy.removeAttribute("id");
      copy.querySelectorAll("[id]").forEach(function (e) { e.removeAttribute("id"); });
      quick.appendChild(copy);
    }
    quick.hidden = !answer;
  }

  function showEmpty() {  // the plan and the learned filters (htmx fetches them again)
    layers.innerHTML = empty;
    showQuick();
    if (window.htmx) htmx.process(layers);
  }

  function scale() { return form.querySelector("input[name=scale]:checked").value; }

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("error-box", !!isError);
  }

  function send(blob) {
    lab.classList.add("busy");
    var data = new FormData();
    data.append("image", blob, "digit.png");
    data.append("scale", scale());
    return Playground.fragment(lab.getAttribute("data-layers-url"), data)
      .then(function (r) {
        if (pad.isEmpty()) return;
        if (r.ok) {
          layers.innerHTML = r.html;
          showQuick();
          setStatus("");
        } else {  // a translated error fragment ("draw a digit first" …)
          var tmp = document.createElement("div");
          tmp.innerHTML = r.html;
          setStatus(tmp.textContent.trim(), true);
        }
      })
      .catch(function () { setStatus(strings["conv_digit.offline"], true); })
      .then(function () { lab.classList.remove("busy"); });
  }

  function resend() {
    pad.toBlob().then(function (blob) { if (blob) queue.push(blob); });
  }

  function saveState() {
    var q = new URLSearchParams({ brush: brush.value, scale: scale() });
    history.replaceState(null, "", location.pathname + "?" + q.toString());
  }

  document.getElementById("cnn-undo").addEventListener("click", function () { pad.undo(); });
  document.getElementById("cnn-clear").addEventListener("click", function () { pad.clear(); });
  brush.addEventListener("input", function () { pad.setBrush(brush.value); saveState(); });
  form.addEventListener("change", function (e) {
    if (e.target.name === "scale") { saveState(); resend(); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });

  // Tap a feature map: see it large (and, for conv1, the filter that made it, with its numbers).
  var dialog = document.getElementById("fmap-dialog");
  layers.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest(".fmap");
    if (!button || !dialog) return;
    document.getElementById("fmap-title").textContent = button.getAttribute("data-title");
    document.getElementById("fmap-img").src = button.querySelector("img").src;
    var max = button.getAttribute("data-max");
    document.getElementById("fmap-caption").textContent = max ? strings["conv_digit.max"].replace("{max}", max) : "";
    var filter = document.getElementById("fmap-filter");
    var weights = button.getAttribute("data-weights");
    filter.hidden = !weights;
    if (weights) {
      var filterImg = document.getElementById("fmap-filter-img");
      filterImg.src = button.querySelector("img.filter").src;
      filterImg.hidden = button.getAttribute("data-kind") === "filter";  // already the big picture
      var table = document.getElementById("fmap-weights");
      table.innerHTML = "";
      JSON.parse(weights).forEach(function (row) {
        var tr = table.insertRow();
        row.forEach(function (w) {
          var td = tr.insertCell();
          td.textContent = String(w).replace("-", "−");
          td.className = w < 0 ? "neg" : "pos";
        });
      });
      var bias = button.getAttribute("data-bias").replace("−", "-");
      document.getElementById("fmap-bias").textContent = "b = " + button.getAttribute("data-bias");
      // The same map, worked out cell by cell in the convolution explorer (ReLU board = this map).
      var section = button.closest("[data-explore-image]");
      document.getElementById("fmap-explore-box").hidden = !section;
      var kernel = JSON.parse(weights).map(function (row) { return row.join(","); }).join("_");
      var q = new URLSearchParams({ image: section ? section.getAttribute("data-explore-image") : "lecture", kernel: kernel,
                                    padding: "same", bias: bias, step: "784" });
      document.getElementById("fmap-explore").href = "/conv?" + q.toString();
    }
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
  });
  dialog && dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
})();
