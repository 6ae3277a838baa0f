/* The digit lab page: the drawing pad (digits_canvas.js) → the server → the answer region.
 * While the learner draws, the page sends the canvas's ink box (pad.inkBox(), deflated, ~1 kB) to
 * POST /digits/ink and fills in the bars, the guesses and the 28×28 picture itself from its compact
 * JSON answer (app/labs/digits_live.py: the server's cheapest path, for a hall of 300 phones).
 * A browser without CompressionStream, or a model switch whose answer cards are not on the page
 * yet, gets the htmx fragment POST /digits/predict (a PNG) as before.
 * At most one request in flight; while it runs only the newest drawing waits, older ones are dropped.
 * The live rate follows the server: while a stroke is drawn the pad asks at most once per 3× the
 * recent answer time (150 ms … 1.2 s), so a busy server is asked less; the end of every stroke is
 * always asked, and its answer is what stays on the screen.
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
  var LIVE = !!(window.CompressionStream && window.Response && window.Blob && Blob.prototype.stream);
  var MIN_INTERVAL = 150, MAX_INTERVAL = 1200, SLOWDOWN = 3;  // ms between live asks; × the answer time
  var answerMs = 0;  // recent answer time (smoothed)
  var showNumbers = false;
  var shownPixels = null;
  var latest = 0;
  var queue = Playground.latest(send);  // at most one request in flight; only the newest drawing waits

  var pad = DigitCanvas.create(document.getElementById("digit-pad"), {
    brush: Number(brushInput.value),
    throttle: MIN_INTERVAL,
    ink: LIVE,
    onChange: function (drawing) {
      latest++;
      if (!drawing) {  // cleared or undone to nothing: back to the empty answer (the cards of the models chosen now)
        queue.drop();
        clearAnswers();
        setStatus("");
        return;
      }
      lab.setAttribute("data-latest", latest);
      queue.push({ drawing: drawing, seq: latest });
    }
  });

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("error-box", !!isError);
  }

  function send(job, newerWaiting) {
    lab.classList.add("busy");
    var started = performance.now();
    var ask = LIVE && cardsMatch() ? askLive(job.drawing) : askFragment(job.drawing);
    return ask
      .then(function (show) {
        adapt(performance.now() - started);
        if (job.seq < latest && newerWaiting()) return;  // a newer drawing is already waiting
        if (pad.isEmpty()) return;
        lab.setAttribute("data-shown", job.seq);
        show();
      })
      .catch(function () { setStatus(strings["digits.error_offline"], true); })
      .then(function () { lab.classList.remove("busy"); });
  }

  // The live rate: slower while the server answers slowly (a full hall), back to 150 ms when it is quick.
  function adapt(ms) {
    answerMs = answerMs ? (answerMs + ms) / 2 : ms;
    var interval = Math.round(Math.min(MAX_INTERVAL, Math.max(MIN_INTERVAL, SLOWDOWN * answerMs)));
    pad.setThrottle(interval);
    lab.setAttribute("data-interval", interval);
  }

  function wantedModels() {
    var model = form.elements.model.value, vs = form.elements.vs.value;
    return vs && vs !== "none" && vs !== model ? [model, vs] : [model];
  }

  // The live answer fills the cards on the page; other models need their cards (titles) from the fragment.
  function cardsMatch() {
    var have = Array.prototype.map.call(result.querySelectorAll(".digits-answer"), function (c) { return c.getAttribute("data-model"); });
    return have.join(" ") === wantedModels().join(" ");
  }

  function showError(text) {
    var tmp = document.createElement("div");
    tmp.innerHTML = text;  // a translated JSON detail, or an error fragment (e.g. a 429)
    setStatus(tmp.textContent.trim(), true);
  }

  function askFragment(drawing) {
    var blob = drawing instanceof Blob ? Promise.resolve(drawing) : pad.toBlob();
    return blob.then(function (png) {
      var data = new FormData();
      data.append("image", png, "digit.png");
      data.append("model", form.elements.model.value);
      data.append("vs", form.elements.vs.value);
      return Playground.fragment(lab.getAttribute("data-predict-url"), data);
    }).then(function (r) {
      return function () {
        if (!r.ok) return showError(r.html);  // a translated error fragment (e.g. "draw a digit first")
        result.innerHTML = r.html;
        moveOutOfBand();
        setStatus("");
        wirePixels();
      };
    });
  }

  function deflate(bytes) {
    return new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer();
  }

  function askLive(ink) {
    var q = new URLSearchParams({ model: form.elements.model.value, vs: form.elements.vs.value, w: ink.width, h: ink.height });
    return deflate(ink.data).then(function (body) {
      return fetch(lab.getAttribute("data-live-url") + "?" + q.toString(), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Content-Type": "application/octet-stream", "Content-Encoding": "deflate", "HX-Request": "true" }
      });
    }).then(function (r) {
      return r.text().then(function (text) {
        return function () {
          var answer = null;
          try { answer = JSON.parse(text); } catch (e) { /* an HTML error fragment */ }
          if (!r.ok || !answer) return showError(answer && answer.detail ? answer.detail : text);
          fill(answer);
          setStatus("");
        };
      });
    });
  }

  // The live answer → the same cards, bars, one-line summary and 28×28 picture the fragment shows.
  function fill(answer) {
    var raw = atob(answer.input), pixels = [];
    for (var y = 0; y < 28; y++) {
      var row = [];
      for (var x = 0; x < 28; x++) row.push(raw.charCodeAt(y * 28 + x));
      pixels.push(row);
    }
    drawPixels(pixels);
    var cards = result.querySelectorAll(".digits-answer");
    var quick = document.querySelectorAll("#digits-quick .digits-quick-item");
    answer.answers.forEach(function (a, i) {
      var p = a.probabilities, top = a.prediction, card = cards[i];
      card.querySelector(".digits-top").textContent = top;
      card.querySelector(".digits-confidence").textContent = strings["digits.confidence"].replace("{p}", (p[top] * 100).toFixed(1));
      card.querySelectorAll("li.bar").forEach(function (li, d) {
        var percent = (p[d] * 100).toFixed(1) + "%";
        li.classList.toggle("top", d === top);
        li.querySelector(".bar-fill").style.width = percent;
        li.querySelector(".bar-value").textContent = percent;
      });
      if (quick[i]) {
        var small = quick[i].querySelector("small") || quick[i].appendChild(document.createElement("small"));
        quick[i].querySelector("b").textContent = top;
        small.textContent = Math.round(p[top] * 100) + "%";
        if (small.previousSibling && small.previousSibling.nodeName === "B") small.before(" ");
      }
    });
  }

  // The empty answer, as the page first shows it: "?" on every card, empty bars, no picture.
  function clearAnswers() {
    result.querySelectorAll(".digits-answer").forEach(function (card) {
      card.querySelector(".digits-top").textContent = "?";
      card.querySelector(".digits-confidence").textContent = strings["digits.draw_prompt"];
      card.querySelectorAll("li.bar").forEach(function (li) {
        li.classList.remove("top");
        li.querySelector(".bar-fill").style.width = "0.0%";
        li.querySelector(".bar-value").textContent = "0.0%";
      });
    });
    document.querySelectorAll("#digits-quick .digits-quick-item").forEach(function (item) {
      var small = item.querySelector("small");
      if (small) {
        if (small.previousSibling && small.previousSibling.nodeType === 3) small.previousSibling.remove();
        small.remove();
      }
      item.querySelector("b").textContent = "?";
    });
    var svg = result.querySelector("svg.digits-grid");
    svg.innerHTML = '<rect class="paper" x="0" y="0" width="28" height="28"/>' + svg.querySelector("path.lines").outerHTML +
      '<rect class="cursor" x="0" y="0" width="1" height="1" hidden/>';
    svg.removeAttribute("data-pixels");
    shownPixels = null;
    result.querySelector(".digits-readout").textContent = strings["digits.seen_empty"];
  }

  // The 28×28 picture, as partials/digits_pixels.html and pixel_marks() draw it: a square per inked pixel.
  function drawPixels(pixels) {
    var svg = result.querySelector("svg.digits-grid");
    var squares = "", numbers = "";
    pixels.forEach(function (row, y) {
      row.forEach(function (v, x) {
        if (!v) return;
        squares += '<rect x="' + x + '" y="' + y + '" width="1" height="1" fill-opacity="' + (v / 255).toFixed(3) + '"/>';
        numbers += '<text x="' + (x + 0.5) + '" y="' + (y + 0.62) + '"' + (v > 127 ? ' class="on"' : "") + ">" + v + "</text>";
      });
    });
    var lines = svg.querySelector("path.lines").outerHTML;
    svg.innerHTML = '<rect class="paper" x="0" y="0" width="28" height="28"/>' + squares + lines +
      '<g class="numbers">' + numbers + '</g><rect class="cursor" x="0" y="0" width="1" height="1" hidden/>';
    svg.setAttribute("data-pixels", JSON.stringify(pixels));
    shownPixels = pixels;
    var readout = result.querySelector(".digits-readout");
    if (readout) readout.textContent = strings["digits.readout_hint"];
  }

  // Parts of the fragment that belong elsewhere on the page (htmx's out-of-band swap, by id).
  function moveOutOfBand() {
    result.querySelectorAll("[data-oob]").forEach(function (el) {
      var old = document.getElementById(el.id);
      if (old && old !== el) old.replaceWith(el);
    });
  }

  function repredict() {
    (LIVE ? Promise.resolve(pad.inkBox()) : pad.toBlob()).then(function (drawing) {
      if (drawing) { latest++; lab.setAttribute("data-latest", latest); queue.push({ drawing: drawing, seq: latest }); }
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
    if (!svg || svg.hasAttribute("data-wired")) return;
    svg.setAttribute("data-wired", "");
    shownPixels = svg.getAttribute("data-pixels") ? JSON.parse(svg.getAttribute("data-pixels")) : null;
    if (toggle) {
      toggle.checked = showNumbers;
      svg.classList.toggle("with-numbers", showNumbers);
      toggle.addEventListener("change", function () {
        showNumbers = toggle.checked;
        svg.classList.toggle("with-numbers", showNumbers);
      });
    }
    function point(e) {
      if (!shownPixels) return;
      var r = svg.getBoundingClientRect(), cursor = svg.querySelector("rect.cursor");
      var col = Math.floor((e.clientX - r.left) / r.width * 28), row = Math.floor((e.clientY - r.top) / r.height * 28);
      if (row < 0 || row > 27 || col < 0 || col > 27) return;
      cursor.setAttribute("x", col);
      cursor.setAttribute("y", row);
      cursor.removeAttribute("hidden");
      readout.textContent = strings["digits.readout"].replace("{row}", row + 1).replace("{col}", col + 1)
        .replace("{value}", shownPixels[row][col]);
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
