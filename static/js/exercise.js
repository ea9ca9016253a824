/* CODE Kids: the exercise page, made better when JavaScript runs.

   Without JavaScript the page is a plain form (textarea, Run / Submit / Hint buttons,
   full-page posts that open at #results) and everything works. This file only
   enhances it, and renders nothing a child reads after Run, Submit or Hint: the
   server does (templates/child/_answer.html, DESIGN.md section 8). Here:
   - the textarea becomes the CodeMirror editor (static/vendor/editor.min.js), with a
     "bigger letters" switch remembered on this PC, and its Tab/Esc help is shown;
   - Run, Submit and Hint post the same form to the same route with the header
     X-CodeKids-Fragment: 1; the server answers with the pieces of the page that
     change (#results, #turtle, #hints, #hint-button, #next-link), rendered by the
     same templates as the full page, and they are put in place;
   - the error line named in the answer (data-error-line) is marked in the editor,
     the answer is scrolled into view and its heading gets the focus;
   - the server's turtle drawing is animated stroke by stroke;
   - the child's code is saved as a draft while they type (the JSON API).
   It also exposes window.CodeKids, the shared parts used by playground.js.

   Written in ES5 on purpose (shared library PCs keep old browsers): no let/const,
   arrow functions, fetch-only code paths or template strings. The few texts only
   this script shows come from the page (<script type="application/json" id="i18n">),
   translated by the server; the English below is only a fallback. */
(function () {
  "use strict";

  var FALLBACK = {
    running: "Running…", checking: "Checking your program…",
    saving: "Saving…", saved: "Saved", save_failed: "Not saved yet: we will try again.",
    font_larger: "Bigger letters", font_smaller: "Smaller letters",
    network_error: "The server did not answer. Check the connection and try again."
  };

  var DRAFT_DELAY_MS = 2000;
  var FONT_KEY = "codekids.editor.large";
  var MAX_ANIMATION_MS = 4000;
  var MAX_SEGMENT_MS = 250;
  var FRAGMENT_HEADER = "X-CodeKids-Fragment";
  // The pieces of the page an answer may change, by id (see exercise_fragment.html).
  var PIECES = ["results", "turtle", "hints", "hint-button", "next-link"];

  // ---- small helpers ------------------------------------------------------------

  var texts = (function () {
    var node = document.getElementById("i18n");
    if (!node) { return {}; }
    try { return JSON.parse(node.textContent || "{}") || {}; } catch (e) { return {}; }
  })();

  function t(key, params) {
    var text = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : FALLBACK[key];
    text = text === undefined ? key : String(text);
    if (params) {
      // gettext's %(name)s, and {name} too.
      text = text.replace(/%\((\w+)\)s|\{(\w+)\}/g, function (all, a, b) {
        var name = a || b;
        return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : all;
      });
    }
    return text;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    var name;
    if (attrs) {
      for (name in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, name) || attrs[name] == null) { continue; }
        if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
      }
    }
    if (children) {
      for (var i = 0; i < children.length; i++) {
        if (children[i] != null) { node.appendChild(children[i]); }
      }
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function randomKey() {
    var bytes = [];
    var c = window.crypto || window.msCrypto;
    var i;
    if (c && c.getRandomValues) {
      var arr = new Uint8Array(16);
      c.getRandomValues(arr);
      for (i = 0; i < arr.length; i++) { bytes.push(arr[i]); }
    } else {
      for (i = 0; i < 16; i++) { bytes.push(Math.floor(Math.random() * 256)); }
    }
    return bytes.map(function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: not remembered */ }
  }

  /* POST/PUT JSON with the session cookie and the CSRF header. done(error, status, data):
     error is null for any answer that is JSON (also 4xx, whose data.error says why),
     "network" when nothing (or no JSON) came back. XMLHttpRequest, not fetch: old browsers. */
  function api(method, url, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.timeout = 60000;
    var finished = false;
    function finish(error, status, data) {
      if (finished) { return; }
      finished = true;
      done(error, status, data);
    }
    xhr.onload = function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (!data || typeof data !== "object") { finish("network", xhr.status, null); return; }
      if (xhr.status === 403 && data.error && data.error.code === "forbidden") {
        // The session ended (idle, or "this is not me"): the page shows the login.
        window.location.reload();
        return;
      }
      finish(null, xhr.status, data);
    };
    xhr.onerror = function () { finish("network", 0, null); };
    xhr.ontimeout = function () { finish("network", 0, null); };
    xhr.send(JSON.stringify(body || {}));
  }

  /* Best effort when the page is being left: fetch keepalive survives the unload
     and can carry the CSRF header (sendBeacon cannot). */
  function apiOnLeave(method, url, body) {
    var payload = JSON.stringify(body);
    if (window.fetch) {
      try {
        window.fetch(url, {
          method: method, keepalive: payload.length < 60000, credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: payload
        });
        return;
      } catch (e) { /* fall through */ }
    }
    api(method, url, body, function () {});
  }

  // ---- the editor -----------------------------------------------------------------

  /* The CodeMirror editor over the textarea, or the textarea itself when the bundle
     did not load (an old browser, a blocked file): same small interface either way. */
  function makeEditor(textarea, onChange) {
    var help = document.getElementById("editor-help");
    var label = textarea.getAttribute("aria-label");
    if (!label && textarea.id) {
      var lab = document.querySelector('label[for="' + textarea.id + '"]');
      if (lab) { label = lab.textContent.replace(/\s+/g, " ").replace(/^\s|\s$/g, ""); }
    }
    if (window.CodeKidsEditor) {
      try {
        var nonceMeta = document.querySelector('meta[name="csp-nonce"]');
        var ed = window.CodeKidsEditor.create(textarea, {
          nonce: nonceMeta ? nonceMeta.getAttribute("content") : null,
          label: label || null,
          describedBy: help ? help.id : null,
          onChange: onChange
        });
        ed.kind = "codemirror";
        // Tab indents and Esc leaves only in CodeMirror: say so only there.
        if (help) { help.hidden = false; }
        return ed;
      } catch (e) {
        if (window.console) { window.console.error(e); }
      }
    }
    textarea.addEventListener("input", function () { onChange(textarea.value); });
    return {
      kind: "textarea",
      getValue: function () { return textarea.value; },
      setValue: function (text) { textarea.value = text; },
      focus: function () { textarea.focus(); },
      markErrorLine: function () { return false; },
      clearErrorLine: function () {},
      refresh: function () {}
    };
  }

  /* "Bigger letters": a toggle button before the editor, remembered on this PC. */
  function addFontSwitch(form, editor) {
    var root = document.documentElement;
    var button = el("button", { type: "button", "class": "button font-switch", "aria-pressed": "false" });
    function apply(large) {
      if (large) { root.className += " ck-large"; } else { root.className = root.className.replace(/\s*\bck-large\b/g, ""); }
      button.setAttribute("aria-pressed", large ? "true" : "false");
      button.textContent = large ? t("font_smaller") : t("font_larger");
      editor.refresh();
    }
    var large = storageGet(FONT_KEY) === "1";
    apply(large);
    button.addEventListener("click", function () {
      large = !large;
      storageSet(FONT_KEY, large ? "1" : "0");
      apply(large);
    });
    var bar = el("div", { "class": "editor-toolbar" }, [button]);
    var textarea = form.querySelector("#code");
    var anchor = textarea;
    // Put the switch above the editor's label so the order reads naturally.
    var lab = form.querySelector('label[for="code"]');
    if (lab) { anchor = lab; }
    if (anchor.parentNode && anchor.parentNode.nodeName === "P") { anchor = anchor.parentNode; }
    anchor.parentNode.insertBefore(bar, anchor);
    return button;
  }

  // ---- the answer: the server's HTML, put in place ---------------------------------------

  /* The form's fields as application/x-www-form-urlencoded, with the editor's text as
     the source and the button's action (FormData.set is too new for old browsers). */
  function formBody(form, action, source) {
    var parts = [];
    function add(name, value) {
      parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
    }
    for (var i = 0; i < form.elements.length; i++) {
      var field = form.elements[i];
      if (!field.name || field.disabled || field.name === "action" || field.name === "source") { continue; }
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) { continue; }
      if (field.type === "submit" || field.type === "button") { continue; }
      add(field.name, field.value);
    }
    add("source", source);
    add("action", action);
    return parts.join("&");
  }

  /* POST the form to its own route asking for the fragment. done(error, status, html):
     error "network" when nothing came back; a page that is not a fragment (the session
     ended and the login answered) reloads, so the child sees where they are. */
  function postFragment(form, body, done) {
    var xhr = new XMLHttpRequest();
    var url = (form.getAttribute("action") || window.location.pathname).split("#")[0];
    xhr.open("POST", url, true);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.setRequestHeader(FRAGMENT_HEADER, "1");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.timeout = 60000;
    var finished = false;
    function finish(error, status, html) {
      if (finished) { return; }
      finished = true;
      done(error, status, html);
    }
    xhr.onload = function () {
      if (xhr.getResponseHeader(FRAGMENT_HEADER) !== "1") {
        if (xhr.status > 0 && xhr.status < 500) { window.location.reload(); return; }
        finish("network", xhr.status, null);
        return;
      }
      finish(null, xhr.status, xhr.responseText);
    };
    xhr.onerror = function () { finish("network", 0, null); };
    xhr.ontimeout = function () { finish("network", 0, null); };
    xhr.send(body);
  }

  /* Put each piece of the server's fragment where the page has it; a piece the answer
     no longer has (the last hint shown, the small next link) goes away. #results is
     the live region: its content changes, the element stays, so it is announced. */
  function applyFragment(html) {
    var box = document.createElement("div");
    box.innerHTML = html;
    for (var i = 0; i < PIECES.length; i++) {
      var id = PIECES[i];
      var mine = document.getElementById(id);
      var theirs = box.querySelector("#" + id);
      if (!mine) { continue; }
      if (!theirs) { mine.parentNode.removeChild(mine); continue; }
      if (id === "results") {
        var names = ["aria-labelledby", "data-error-line"];
        for (var k = 0; k < names.length; k++) {
          if (theirs.hasAttribute(names[k])) {
            mine.setAttribute(names[k], theirs.getAttribute(names[k]));
          } else {
            mine.removeAttribute(names[k]);
          }
        }
        clear(mine);
        while (theirs.firstChild) { mine.appendChild(theirs.firstChild); }
      } else {
        mine.parentNode.replaceChild(theirs, mine);
      }
    }
  }

  function errorLineOf(results) {
    var line = results ? parseInt(results.getAttribute("data-error-line") || "", 10) : NaN;
    return line > 0 ? line : null;
  }

  /* The answer in view, its heading focused (for the keyboard and screen readers),
     whatever the screen's size or zoom. The page moves only as far as it must: the
     verdict and the first thing to read (everything before the table of tests) end at
     the bottom of the window, so as much of the child's program as fits stays in view
     above them; an answer taller than the window starts at its top. */
  function answerEnd(target) {
    var table = target.querySelector("table");
    var before = table ? table.previousElementSibling : null;
    return before && before.getBoundingClientRect ? before : target;
  }

  function placeAnswer(target) {
    var room = window.innerHeight || document.documentElement.clientHeight;
    var margin = 12;
    var top = target.getBoundingClientRect().top;
    var bottom = answerEnd(target).getBoundingClientRect().bottom;
    if (top < 0 || bottom - top + 2 * margin > room) {
      target.scrollIntoView(true);
    } else if (bottom + margin > room) {
      window.scrollBy(0, bottom + margin - room);
    }
  }

  function showAnswer(target) {
    if (!target) { return; }
    var heading = target.querySelector("h2[tabindex], li.new[tabindex]") || target;
    if (!heading.hasAttribute("tabindex")) { heading.setAttribute("tabindex", "-1"); }
    try { heading.focus({ preventScroll: true }); } catch (e) { heading.focus(); }
    placeAnswer(target);
    // The editor scrolls to the line it marked in its next frame: place the answer again after it.
    var later = window.requestAnimationFrame || function (fn) { return window.setTimeout(fn, 16); };
    later(function () { later(function () { placeAnswer(target); }); });
  }

  function showError(results, message) {
    clear(results);
    results.hidden = false;
    results.appendChild(el("p", { "class": "flash flash-error api-error", role: "alert", text: message }));
  }

  function errorMessage(status, data) {
    if (data && data.error && data.error.message) { return data.error.message; }
    return t("network_error");
  }

  // ---- the turtle: the server's SVG, drawn stroke by stroke ----------------------------

  var SVG_NS = "http://www.w3.org/2000/svg";

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  var animationFrame = null;

  function attr(node, name) {
    var n = parseFloat(node.getAttribute(name));
    return isFinite(n) ? n : 0;
  }

  /* Animate the <line>s of the server's drawing in #turtle, in their order, a moving
     pen at the tip; at once when the child's system asks for less motion. The
     "Draw again" button (rendered hidden by the server) replays it. */
  function animateTurtle(container, animate) {
    if (!container) { return; }
    var svg = container.querySelector("svg");
    if (!svg) { return; }
    if (animationFrame !== null && window.cancelAnimationFrame) { window.cancelAnimationFrame(animationFrame); }
    animationFrame = null;
    var lines = svg.getElementsByTagName("line");
    var segs = [];
    var i;
    for (i = 0; i < lines.length; i++) {
      var ln = lines[i];
      if (!ln.hasAttribute("data-x2")) {
        ln.setAttribute("data-x2", ln.getAttribute("x2"));
        ln.setAttribute("data-y2", ln.getAttribute("y2"));
      }
      segs.push({ node: ln, x1: attr(ln, "x1"), y1: attr(ln, "y1"),
                  x2: attr(ln, "data-x2"), y2: attr(ln, "data-y2") });
    }
    var actions = container.querySelector(".turtle-actions");
    if (actions && !actions.getAttribute("data-ready")) {
      actions.setAttribute("data-ready", "1");
      actions.hidden = false;
      var again = actions.querySelector("button");
      if (again) { again.addEventListener("click", function () { animateTurtle(container, true); }); }
    }
    var old = svg.querySelector("circle.turtle-pen");
    if (old) { old.parentNode.removeChild(old); }

    function place(seg, f) {
      if (f >= 1) {  // the server's own numbers, as it drew them
        seg.node.setAttribute("x2", seg.node.getAttribute("data-x2"));
        seg.node.setAttribute("y2", seg.node.getAttribute("data-y2"));
      } else {
        seg.node.setAttribute("x2", seg.x1 + (seg.x2 - seg.x1) * f);
        seg.node.setAttribute("y2", seg.y1 + (seg.y2 - seg.y1) * f);
      }
      seg.node.style.visibility = f > 0 ? "" : "hidden";
    }
    function finishAll() {
      for (var k = 0; k < segs.length; k++) { place(segs[k], 1); }
      if (pen && pen.parentNode) { pen.parentNode.removeChild(pen); }
      animationFrame = null;
    }
    var pen = null;
    if (!segs.length || !animate || reducedMotion() || !window.requestAnimationFrame) { finishAll(); return; }

    var box = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/);
    var size = Math.max(parseFloat(box[2]) || 100, parseFloat(box[3]) || 100);
    pen = document.createElementNS(SVG_NS, "circle");
    pen.setAttribute("class", "turtle-pen");
    pen.setAttribute("r", String(size / 60 + 1.5));
    (lines[0].parentNode || svg).appendChild(pen);
    for (i = 0; i < segs.length; i++) { place(segs[i], 0); }

    var per = Math.min(MAX_SEGMENT_MS, MAX_ANIMATION_MS / segs.length);
    var start = null;
    var done = 0;  // segments fully drawn
    function frame(now) {
      if (start === null) { start = now; }
      var progress = (now - start) / per;
      var whole = Math.min(Math.floor(progress), segs.length);
      while (done < whole) { place(segs[done], 1); done++; }
      if (done >= segs.length) { finishAll(); return; }
      var cur = segs[done];
      var f = Math.max(progress - whole, 0.001);
      place(cur, f);
      pen.setAttribute("cx", cur.x1 + (cur.x2 - cur.x1) * f);
      pen.setAttribute("cy", cur.y1 + (cur.y2 - cur.y1) * f);
      animationFrame = window.requestAnimationFrame(frame);
    }
    animationFrame = window.requestAnimationFrame(frame);
  }

  // ---- the form ---------------------------------------------------------------------

  /* Shared wiring of #code-form for the exercise and the project pages. `actions` maps a
     button's value to "fragment" (post it, put the answer in place) or to a function;
     any other button posts the plain form. Returns the page object. */
  function enhanceForm(options) {
    var form = document.getElementById("code-form");
    var textarea = document.getElementById("code");
    if (!form || !textarea) { return null; }
    var main = document.getElementById("main");
    var status = el("span", { "class": "request-status", role: "status" });
    var lastButton = null;
    var busy = false;
    var changeListeners = [];
    var page;

    var editor = makeEditor(textarea, function (text) {
      for (var i = 0; i < changeListeners.length; i++) { changeListeners[i](text); }
    });
    addFontSwitch(form, editor);
    var bar = form.querySelector(".buttons");
    if (bar) { bar.appendChild(status); }

    // A full page after a plain post may already name an error's line.
    var initialLine = errorLineOf(document.getElementById("results"));
    if (initialLine) { editor.markErrorLine(initialLine); }
    animateTurtle(document.getElementById("turtle"), false);

    // Which button sent the form: event.submitter is too new for old browsers.
    form.addEventListener("click", function (event) {
      var node = event.target;
      while (node && node !== form && node.nodeName !== "BUTTON") { node = node.parentNode; }
      if (node && node.nodeName === "BUTTON" && node.name === "action") { lastButton = node; }
    });

    function buttons() { return form.querySelectorAll('button[name="action"]'); }

    function setBusy(on, message) {
      busy = on;
      form.setAttribute("aria-busy", on ? "true" : "false");
      var list = buttons();
      for (var k = 0; k < list.length; k++) { list[k].disabled = on; }
      status.textContent = on ? (message || "") : "";
    }

    /* Send `action` and put the server's answer in place; after(status) runs once it is. */
    function send(action, busyText, after) {
      var source = editor.getValue();
      setBusy(true, busyText);
      postFragment(form, formBody(form, action, source), function (error, code, html) {
        setBusy(false);
        var results = document.getElementById("results");
        if (error) {
          showError(results, t("network_error"));
          showAnswer(results);
          return;
        }
        editor.clearErrorLine();
        applyFragment(html);
        results = document.getElementById("results");
        // The editor scrolls to the line it marks: mark first, then bring the answer into view.
        var line = errorLineOf(results);
        if (line) { editor.markErrorLine(line); }
        animateTurtle(document.getElementById("turtle"), true);
        if (after) { after(code, source); }
        if (action === "hint") {
          showAnswer(document.querySelector("#hints li.new") || results);
        } else {
          showAnswer(results);
        }
      });
    }

    form.addEventListener("submit", function (event) {
      var action = lastButton ? lastButton.value : null;
      lastButton = null;
      var handler = action && options.actions[action];
      if (!handler) { return; }  // another button: the plain form post does it
      event.preventDefault();
      if (busy) { return; }  // a second click while the first is on its way
      handler(page);
    });

    page = {
      form: form, main: main, editor: editor, send: send,
      setBusy: setBusy,
      isBusy: function () { return busy; },
      onChange: function (fn) { changeListeners.push(fn); },
      results: function () { return document.getElementById("results"); }
    };
    return page;
  }

  /* Save the draft while the child types: DRAFT_DELAY_MS after the last key, and when
     the page is hidden or left. The little "Saved" note says where it stands. */
  function autosave(page, url, bodyFor, extraCheck, method) {
    if (!url) { return null; }
    method = method || "POST";
    var note = el("span", { "class": "draft-status" });
    var toolbar = page.form.querySelector(".editor-toolbar");
    if (toolbar) { toolbar.appendChild(note); }
    var savedText = page.editor.getValue();
    var timer = null;
    var inFlight = false;
    var pendingAgain = false;

    function save() {
      timer = null;
      var text = page.editor.getValue();
      if (text === savedText || (extraCheck && !extraCheck(text))) { return; }
      if (inFlight) { pendingAgain = true; return; }
      inFlight = true;
      note.textContent = t("saving");
      note.className = "draft-status saving";
      api(method, url, bodyFor(text), function (error, status) {
        inFlight = false;
        if (!error && status >= 200 && status < 300) {
          savedText = text;
          note.textContent = t("saved");
          note.className = "draft-status saved";
        } else {
          note.textContent = t("save_failed");
          note.className = "draft-status failed";
          if (!timer) { timer = window.setTimeout(save, DRAFT_DELAY_MS * 5); }
        }
        if (pendingAgain) { pendingAgain = false; schedule(); }
      });
    }
    function schedule() {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(save, DRAFT_DELAY_MS);
    }
    function flush() {
      var text = page.editor.getValue();
      if (text === savedText || (extraCheck && !extraCheck(text))) { return; }
      if (timer) { window.clearTimeout(timer); timer = null; }
      savedText = text;
      apiOnLeave(method, url, bodyFor(text));
    }
    page.onChange(function () {
      note.textContent = "";
      note.className = "draft-status";
      schedule();
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { flush(); }
    });
    window.addEventListener("pagehide", flush);
    return { markSaved: function (text) { savedText = text; } };
  }

  // ---- the exercise page --------------------------------------------------------------

  function exercisePage() {
    var main = document.getElementById("main");
    if (!main || !main.getAttribute("data-exercise")) { return; }
    var draftUrl = main.getAttribute("data-api-draft");
    var keyInput = document.querySelector('#code-form input[name="client_key"]');
    var drafts = null;

    function run(page) { page.send("run", t("running")); }

    function submit(page) {
      if (keyInput && !keyInput.value) { keyInput.value = randomKey(); }
      page.send("submit", t("checking"), function (status, source) {
        // A new attempt gets a new key; a double click reused the one on its way.
        if (keyInput) { keyInput.value = randomKey(); }
        if (drafts && status < 400) { drafts.markSaved(source); }
      });
    }

    function hint(page) { page.send("hint", ""); }

    var page = enhanceForm({ actions: { run: run, submit: submit, hint: hint } });
    if (!page) { return; }
    drafts = autosave(page, draftUrl, function (text) { return { source: text }; },
      function (text) { return text.replace(/\s+/g, "") !== ""; });
  }

  window.CodeKids = {
    t: t, el: el, api: api, enhanceForm: enhanceForm, autosave: autosave,
    showError: showError, errorMessage: errorMessage, animateTurtle: animateTurtle
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", exercisePage);
  } else {
    exercisePage();
  }
})();
