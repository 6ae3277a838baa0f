// Classroom mode, loaded on every page.
// A student's browser (cookie pg_class, set by /join) opens the class's event stream, shows an
// "in class" bar at the top of the page's content (the teacher's task in full), and follows the teacher's pushes: a push is a lab URL with its state, so
// following it is navigating there. When the class ends, everything stops and the page is the
// learner's own again. The teacher's projector page (#classroom-projector) refreshes its live
// views when the stream says the class's results changed.
// Everything a student typed (the nickname) is set with textContent, never as HTML.
(function () {
  "use strict";

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }

  function ensureStyles() {
    if (document.querySelector('link[href^="/static/css/classroom.css"]')) return;
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
    // On every (re)connect, catch up once: results that arrived between this page's render and
    // its stream opening (or while flaky Wi-Fi had the stream down) announced themselves unheard.
    var opened = false;
    source.addEventListener("open", function () {
      if (opened) { refreshView(); return; }
      opened = true;
      setTimeout(refreshView, 600); // the first time: after the server's next flush of results
    });
    source.addEventListener("results", function (e) {
      var view = document.getElementById("cr-view");
      var labs = JSON.parse(e.data).labs || [];
      if (view && labs.indexOf(view.getAttribute("data-view")) >= 0) refreshView();
    });
    var studentsTimer = null;
    source.addEventListener("students", function () {
      // A hall joining at once: one reload of the list a second, always after the latest join.
      if (studentsTimer) return;
      studentsTimer = setTimeout(function () {
        studentsTimer = null;
        document.body.dispatchEvent(new CustomEvent("classroom:students"));
        refreshView(); // a removed student's results leave the views too
      }, 1000);
    });
    source.addEventListener("end", function () {
      source.close();
      window.location.assign("/classroom");
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // -- a student ---------------------------------------------------------------------------
  function student(code) {
    var source = null, badge = null, text = null, stopped = false, connectedOnce = false;
    var seenKey = "pg_push:" + code;

    function stop(message) {
      if (stopped) return;
      stopped = true;
      if (source) source.close();
      if (badge) badge.remove();
      badge = null;
      document.documentElement.classList.remove("cr-in-class");
      document.cookie = "pg_class=; Max-Age=0; Path=/; SameSite=Lax";
      try { localStorage.removeItem(seenKey); } catch (e) { /* private mode */ }
      fetch("/api/classroom/leave", { method: "POST", credentials: "same-origin" });
      if (message) ended(message);
    }

    // "The class has ended": a note at the top of the page, in the flow (a toast would cover the
    // lab's buttons), until the student dismisses it.
    function ended(message) {
      var main = document.getElementById("main");
      if (!main) { toast(message); return; }
      var box = document.createElement("div");
      box.className = "notice cr-ended";
      box.id = "classroom-ended";
      box.setAttribute("role", "status");
      var words = document.createElement("p");
      words.textContent = message;
      var ok = document.createElement("button");
      ok.type = "button";
      ok.textContent = (text && text.dismiss) || "OK";
      ok.addEventListener("click", function () { box.remove(); });
      box.appendChild(words);
      box.appendChild(ok);
      main.insertBefore(box, main.firstChild);
    }

    function showBadge() {
      if (badge) return;
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
      var main = document.getElementById("main");  // in the flow at the top, not over the lab
      if (main) main.insertBefore(badge, main.firstChild); else document.body.appendChild(badge);
      document.documentElement.classList.add("cr-in-class");
    }

    function note(words) {
      if (!badge || !words) return;
      var line = badge.querySelector(".cr-badge-note") || document.createElement("strong");
      line.className = "cr-badge-note";
      line.textContent = words; // the teacher's words, as text
      badge.insertBefore(line, badge.firstChild);
    }

    function follow(push) {
      var lang = document.documentElement.lang || "zh-TW";
      var teacherSays = push.note && (push.note[lang] || push.note["zh-TW"]);
      var here = window.location.pathname + window.location.search;
      var seen = null;
      try { seen = localStorage.getItem(seenKey); } catch (e) { /* private mode */ }
      if (seen === push.id) { // already followed: the student may have moved on since
        if (here === push.url) note(teacherSays);
        return;
      }
      try { localStorage.setItem(seenKey, push.id); } catch (e) { /* private mode */ }
      if (here === push.url) { note(teacherSays); return; }
      note(teacherSays || text.opening); // seen at once; the page opens a moment later
      // A hall of phones at once: spread the page loads (over ~5 s for 300, the server says how
      // long) so that the server answers every one quickly.
      setTimeout(function () { window.location.assign(push.url); }, Math.random() * (push.spread_ms || 0));
    }

    function connect() {
      source = new EventSource("/api/classes/" + encodeURIComponent(code) + "/events");
      source.addEventListener("hello", function (e) {
        var hello = JSON.parse(e.data);
        text = hello.text;
        connectedOnce = true;
        showBadge();
      });
      source.addEventListener("push", function (e) { if (text) follow(JSON.parse(e.data)); });
      source.addEventListener("end", function () { stop(text.ended); });
      source.addEventListener("removed", function () { stop(text.removed); });
      source.onerror = function () {
        if (stopped || source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
        // Refused: the class ended while we were away, we were removed, or a hiccup. Ask, then stop or retry.
        setTimeout(function () {
          fetch("/api/classroom/me", { credentials: "same-origin" }).then(function (r) {
            if (r.status === 404) stop(connectedOnce && text ? text.ended : null);
            else if (!stopped) connect();
          }, function () { if (!stopped) setTimeout(connect, 3000); });
        }, 1500);
      };
    }

    connect();
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
