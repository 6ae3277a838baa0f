// Classroom mode, loaded on every page.
// A student's browser (cookie pg_class, set by /join) opens the class's event stream, shows a small
// "in class" badge, and follows the teacher's pushes: a push is a lab URL with its state, so
// following it is navigating there. When the class ends, everything stops and the page is the
// learner's own again. The teacher's projector page (#classroom-projector) refreshes its live
// views when the stream says the class's results changed.
// Everything a student typed (the nickname) is set with textContent, never as HTML.
(function () {
  "use strict";
  var SPREAD_MS = 600;

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }

  function ensureStyles() {
    if (document.querySelector('link[href="/static/css/classroom.css"]')) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "/static/css/classroom.css";
    document.head.appendChild(link);
  }

  function toast(text) {
    if (window.playgroundToast) window.playgroundToast(text);
  }

  // -- the projector -----------------------------------------------------------------------
  function projector(root) {
    var code = root.getAttribute("data-code");
    var source = new EventSource("/api/classes/" + encodeURIComponent(code) + "/events");
    var busy = false, again = false;

    function refreshView() {
      var view = document.getElementById("cr-view");
      if (!view || !window.htmx) return;
      if (busy) { again = true; return; }
      busy = true;
      window.htmx.ajax("GET", view.getAttribute("data-src"), { target: "#cr-view", swap: "innerHTML" })
        .finally(function () {
          busy = false;
          if (again) { again = false; setTimeout(refreshView, 500); }
        });
    }
    source.addEventListener("results", function (e) {
      var view = document.getElementById("cr-view");
      var labs = JSON.parse(e.data).labs || [];
      if (view && labs.indexOf(view.getAttribute("data-view")) >= 0) refreshView();
    });
    source.addEventListener("students", function () {
      document.body.dispatchEvent(new CustomEvent("classroom:students"));
    });
    source.addEventListener("end", function () {
      source.close();
      window.location.assign("/classroom");
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // -- a student ---------------------------------------------------------------------------
  function student(code) {
    var source = null, badge = null, text = null, stopped = false;
    var seenKey = "pg_push:" + code;

    function stop(message) {
      if (stopped) return;
      stopped = true;
      if (source) source.close();
      if (badge) badge.remove();
      document.cookie = "pg_class=; Max-Age=0; Path=/; SameSite=Lax";
      try { localStorage.removeItem(seenKey); } catch (e) { /* private mode */ }
      fetch("/api/classroom/leave", { method: "POST", credentials: "same-origin" });
      if (message) toast(message);
    }

    function showBadge() {
      ensureStyles();
      badge = document.createElement("div");
      badge.className = "cr-badge";
      badge.id = "classroom-badge";
      badge.setAttribute("role", "status");
      var label = document.createElement("span");
      label.className = "cr-badge-text";
      label.textContent = text.badge; // the nickname is the student's own text: never innerHTML
      var leave = document.createElement("button");
      leave.type = "button";
      leave.textContent = text.leave;
      leave.addEventListener("click", function () { stop(text.left); });
      badge.appendChild(label);
      badge.appendChild(leave);
      document.body.appendChild(badge);
    }

    function showNote(push) {
      var lang = document.documentElement.lang || "zh-TW";
      var note = push.note && (push.note[lang] || push.note["zh-TW"]);
      var here = window.location.pathname + window.location.search;
      if (!badge || !note || here !== push.url) return;
      var line = badge.querySelector(".cr-badge-note") || document.createElement("strong");
      line.className = "cr-badge-note";
      line.textContent = note; // the teacher's words, as text
      badge.insertBefore(line, badge.firstChild);
    }

    function follow(push) {
      showNote(push);
      var seen = null;
      try { seen = localStorage.getItem(seenKey); } catch (e) { /* private mode */ }
      if (seen === push.id) return; // already followed: the student may have moved on since
      try { localStorage.setItem(seenKey, push.id); } catch (e) { /* private mode */ }
      var here = window.location.pathname + window.location.search;
      if (here !== push.url) {
        // 300 phones at once: spread the page loads over a moment so the server answers them all fast
        setTimeout(function () { window.location.assign(push.url); }, Math.random() * SPREAD_MS);
      }
    }

    function connect() {
      source = new EventSource("/api/classes/" + encodeURIComponent(code) + "/events");
      source.addEventListener("push", function (e) { follow(JSON.parse(e.data)); });
      source.addEventListener("end", function () { stop(text.ended); });
      source.addEventListener("removed", function () { stop(text.removed); });
      source.onerror = function () {
        if (stopped || source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
        // Refused (the class ended while we were away, or we were removed): ask, then stop or retry.
        setTimeout(function () {
          fetch("/api/classroom/me", { credentials: "same-origin" }).then(function (r) {
            if (r.status === 404) stop(text.ended);
            else if (!stopped) connect();
          }, function () { if (!stopped) setTimeout(connect, 3000); });
        }, 1500);
      };
    }

    fetch("/api/classroom/me", { credentials: "same-origin" }).then(function (r) {
      if (r.status === 404) { stop(null); return null; }
      return r.ok ? r.json() : null;
    }).then(function (me) {
      if (!me || stopped) return;
      code = me.code; // the server's word, not the cookie's
      seenKey = "pg_push:" + code;
      text = me.text;
      showBadge();
      connect();
    }, function () { /* offline: app.js shows a toast on the next request */ });
    window.addEventListener("pagehide", function () { if (source) source.close(); });
  }

  function start() {
    var root = document.getElementById("classroom-projector");
    if (root) { projector(root); return; }
    var code = cookie("pg_class");
    if (code) student(code);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
