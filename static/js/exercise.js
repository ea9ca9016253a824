/* CODE Kids: the exercise page, made better when JavaScript runs.

   Without JavaScript the page is a plain form (textarea, Run / Submit / Hint buttons,
   full-page posts) and everything works. This file only enhances it:
   - the textarea becomes the CodeMirror editor (static/vendor/editor.min.js), with a
     "bigger letters" switch remembered on this PC;
   - Run, Submit and Hint go through the JSON API and the answer is drawn in place;
   - the child's code is saved as a draft while they type;
   - the turtle's drawing is animated stroke by stroke.
   It also exposes window.CodeKids, the shared parts used by playground.js.

   Written in ES5 on purpose (shared library PCs keep old browsers): no let/const,
   arrow functions, fetch-only code paths or template strings. Every text a child
   reads comes from the page (<script type="application/json" id="i18n">), so it
   is translated by the server; the English below is only a fallback. */
(function () {
  "use strict";

  var FALLBACK = {
    results: "Results",
    solved: "Well done! Every test passed.",
    not_yet: "%(passed)s of %(total)s tests passed. Not yet: you can do it!",
    duplicate: "You already sent this program: here is its result again.",
    stars_0: "0 stars of 3", stars_1: "1 star of 3", stars_2: "2 stars of 3", stars_3: "3 stars of 3",
    test: "Test", result: "Result", details: "Details", caption: "Tests of your program",
    hidden: "hidden", call: "Call", input: "Input", expected: "Expected",
    actual: "Your program gave", printed: "It printed",
    expected_short: "expected:", yours_short: "yours:", no_more_lines: "(no more lines)",
    legend: "In the texts above, ↵ is where a line ends, ␣ is a space at the end of a line and ∅ means nothing was printed.",
    next_exercise: "Next exercise: %(title)s",
    run_h: "What your program did", ran_ok: "Your program ran to the end.",
    printed_h: "What it printed", nothing_printed: "Nothing was printed.",
    truncated: "It printed too much: only the beginning is shown.",
    hint_button: "Show a hint (%(left)s left)",
    drawing: "The turtle's drawing", draw_again: "Draw again",
    running: "Running…", checking: "Checking your program…",
    saving: "Saving…", saved: "Saved", save_failed: "Not saved yet: we will try again.",
    font_larger: "Bigger letters", font_smaller: "Smaller letters",
    network_error: "The server did not answer. Check the connection and try again."
  };

  var DRAFT_DELAY_MS = 2000;
  var FONT_KEY = "codekids.editor.large";
  var MAX_ANIMATION_MS = 4000;
  var MAX_SEGMENT_MS = 250;

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

  // ---- the turtle ---------------------------------------------------------------------

  var SVG_NS = "http://www.w3.org/2000/svg";
  var SAFE_COLOR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,30})$/;

  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var name in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, name)) { node.setAttribute(name, String(attrs[name])); }
    }
    return node;
  }

  function num(v) {
    var n = Number(v);
    return isFinite(n) ? n : 0;
  }

  /* Segments as the sandbox records them: {x1, y1, x2, y2, color, width}, y upwards
     (older arrays [x1, y1, x2, y2, colour] are accepted too). */
  function normaliseSegments(list) {
    var out = [];
    if (!list || !list.length) { return out; }
    for (var i = 0; i < list.length; i++) {
      var s = list[i];
      if (s && typeof s === "object" && !(s instanceof Array)) {
        out.push({ x1: num(s.x1), y1: num(s.y1), x2: num(s.x2), y2: num(s.y2),
                   color: s.color, width: s.width == null ? 1 : num(s.width) });
      } else if (s instanceof Array && s.length >= 4) {
        out.push({ x1: num(s[0]), y1: num(s[1]), x2: num(s[2]), y2: num(s[3]), color: s[4], width: 1 });
      }
    }
    return out;
  }

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  var animationFrame = null;

  /* Draw the segments into container as an SVG; animate stroke by stroke unless the
     child asked their system for less motion. A "draw again" button replays it. */
  function drawTurtle(container, rawSegments, animate) {
    if (!container) { return; }
    if (animationFrame !== null && window.cancelAnimationFrame) { window.cancelAnimationFrame(animationFrame); }
    animationFrame = null;
    var segs = normaliseSegments(rawSegments);
    clear(container);
    if (!segs.length) { container.hidden = true; return; }
    container.hidden = false;

    var minX = 0, maxX = 0, minY = 0, maxY = 0, i;  // the turtle starts at (0, 0): keep it in view
    for (i = 0; i < segs.length; i++) {
      var s = segs[i];
      minX = Math.min(minX, s.x1, s.x2); maxX = Math.max(maxX, s.x1, s.x2);
      minY = Math.min(minY, s.y1, s.y2); maxY = Math.max(maxY, s.y1, s.y2);
    }
    var w = Math.max(maxX - minX, 20), h = Math.max(maxY - minY, 20);
    var pad = Math.max(w, h) * 0.06 + 4;
    var svg = svgEl("svg", {
      viewBox: [minX - pad, -maxY - pad, w + 2 * pad, h + 2 * pad].join(" "),
      role: "img", "class": "turtle-svg", preserveAspectRatio: "xMidYMid meet"
    });
    var title = svgEl("title", {});
    title.textContent = t("drawing");
    svg.appendChild(title);
    var g = svgEl("g", { transform: "scale(1,-1)", "stroke-linecap": "round", fill: "none" });
    svg.appendChild(g);
    var lines = [];
    for (i = 0; i < segs.length; i++) {
      var color = segs[i].color != null && SAFE_COLOR.test(String(segs[i].color)) ? String(segs[i].color) : "black";
      var line = svgEl("line", {
        x1: segs[i].x1, y1: segs[i].y1, x2: segs[i].x1, y2: segs[i].y1,
        stroke: color, "stroke-width": Math.max(1, Math.min(segs[i].width || 1, 50)),
        "vector-effect": "non-scaling-stroke"
      });
      lines.push(line);
    }
    container.appendChild(el("h3", { text: t("drawing") }));
    var pen = svgEl("circle", { r: Math.max(w, h) / 60 + 1.5, cx: 0, cy: 0, "class": "turtle-pen" });
    container.appendChild(svg);

    var replay = el("button", { type: "button", "class": "button draw-again", text: t("draw_again") });
    replay.addEventListener("click", function () { drawTurtle(container, rawSegments, true); });
    container.appendChild(el("p", { "class": "turtle-actions" }, [replay]));

    function finishAll() {
      for (var k = 0; k < lines.length; k++) {
        if (!lines[k].parentNode) { g.appendChild(lines[k]); }
        lines[k].setAttribute("x2", segs[k].x2);
        lines[k].setAttribute("y2", segs[k].y2);
      }
      if (pen.parentNode) { pen.parentNode.removeChild(pen); }
      animationFrame = null;
    }

    if (!animate || reducedMotion() || !window.requestAnimationFrame) { finishAll(); return; }

    var per = Math.min(MAX_SEGMENT_MS, MAX_ANIMATION_MS / segs.length);
    var start = null;
    var done = 0;  // segments fully drawn
    g.appendChild(pen);
    function frame(now) {
      if (start === null) { start = now; }
      var progress = (now - start) / per;
      var whole = Math.min(Math.floor(progress), segs.length);
      while (done < whole) {
        if (!lines[done].parentNode) { g.insertBefore(lines[done], pen); }
        lines[done].setAttribute("x2", segs[done].x2);
        lines[done].setAttribute("y2", segs[done].y2);
        done++;
      }
      if (done >= segs.length) { finishAll(); return; }
      var f = progress - whole;
      var cur = segs[done];
      var x = cur.x1 + (cur.x2 - cur.x1) * f, y = cur.y1 + (cur.y2 - cur.y1) * f;
      if (!lines[done].parentNode) { g.insertBefore(lines[done], pen); }
      lines[done].setAttribute("x2", x);
      lines[done].setAttribute("y2", y);
      pen.setAttribute("cx", x);
      pen.setAttribute("cy", y);
      animationFrame = window.requestAnimationFrame(frame);
    }
    animationFrame = window.requestAnimationFrame(frame);
  }

  // ---- results: the same markup as templates/child/_results.html and run_output() ---

  function explanationBlock(explanation) {
    if (!explanation || !explanation.message) { return null; }
    var box = el("div", { "class": "explanation", "data-error-line": explanation.line || null });
    if (explanation.where) { box.appendChild(el("p", { "class": "where" }, [el("strong", { text: explanation.where })])); }
    box.appendChild(el("p", { text: explanation.message }));
    return box;
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

  function starsBlock(n) {
    n = Math.max(0, Math.min(3, n | 0));
    var box = el("span", { "class": "stars", role: "img", "aria-label": t("stars_" + n) });
    for (var i = 0; i < 3; i++) {
      box.appendChild(el("span", { "class": i < n ? "star on" : "star", text: i < n ? "★" : "☆" }));
    }
    return box;
  }

  /* A line with the character at `column` (1-based) in <mark>, like mark_column. */
  function markedLine(text, column) {
    var code = el("code", { "class": "visible" });
    if (text == null) { code.textContent = t("no_more_lines"); return code; }
    var i = Math.max(0, (column | 0) - 1);
    code.appendChild(document.createTextNode(text.slice(0, i)));
    code.appendChild(el("mark", { text: text.slice(i, i + 1) || " " }));
    code.appendChild(document.createTextNode(text.slice(i + 1)));
    return code;
  }

  function detailsCell(test, report) {
    var td = el("td", {});
    var d = test.details || {};
    if (test.hidden) {
      if (d.hint) { td.appendChild(el("p", { "class": "hint", text: d.hint })); }
      return td;
    }
    if (test.status === "passed") { return td; }
    var dl = el("dl", { "class": "test-details" });
    function add(label, value, tag) {
      dl.appendChild(el("dt", { text: label }));
      var inner = tag === "code" ? el("code", { text: value }) : el("pre", { "class": "visible", text: value });
      dl.appendChild(el("dd", {}, [inner]));
    }
    if (d.call) { add(t("call"), d.call, "code"); }
    if (d.input) { add(t("input"), d.input); }
    if (d.expected != null) { add(t("expected"), String(d.expected)); }
    if (d.actual != null) { add(t("actual"), String(d.actual)); }
    if (d.printed) { add(t("printed"), d.printed); }
    if (d.difference) {
      var diff = d.difference;
      dl.appendChild(el("dt", { text: d.difference_text || "" }));
      dl.appendChild(el("dd", { "class": "difference" }, [
        el("span", { "class": "diff-label", text: t("expected_short") }), document.createTextNode(" "),
        markedLine(diff.expected_line, diff.column), el("br"),
        el("span", { "class": "diff-label", text: t("yours_short") }), document.createTextNode(" "),
        markedLine(diff.actual_line, diff.column)
      ]));
    }
    td.appendChild(dl);
    if (test.explanation && !(report.explanation && test.explanation.message === report.explanation.message &&
                              test.explanation.line === report.explanation.line)) {
      var expl = explanationBlock(test.explanation);
      if (expl) { td.appendChild(expl); }
    }
    return td;
  }

  /* The graded answer: summary, stars, explanation, the table, next exercise. */
  function renderReport(results, data) {
    clear(results);
    results.hidden = false;
    results.setAttribute("aria-labelledby", "results-h");
    results.appendChild(el("h2", { id: "results-h", text: t("results") }));
    if (data.duplicate) { results.appendChild(el("p", { "class": "hint", text: t("duplicate") })); }
    if (data.solved) {
      results.appendChild(el("p", { "class": "result-ok big", text: t("solved") }));
      results.appendChild(el("p", { "class": "stars-line" }, [starsBlock(data.stars)]));
      if (data.lines_counted > 0 && data.lines_counted_text) {
        results.appendChild(el("p", { "class": "lines-counted", text: data.lines_counted_text }));
      }
    } else {
      results.appendChild(el("p", { "class": "result-not-yet big",
                                    text: t("not_yet", { passed: data.passed | 0, total: data.total | 0 }) }));
    }
    var expl = explanationBlock(data.explanation);
    if (expl) { results.appendChild(expl); }

    var tbody = el("tbody", {});
    var tests = data.tests || [];
    for (var i = 0; i < tests.length; i++) {
      var test = tests[i];
      var head = el("th", { scope: "row", text: String(test.index != null ? test.index : i + 1) });
      if (test.hidden) {
        head.appendChild(document.createTextNode(" "));
        head.appendChild(el("span", { "class": "tag", text: t("hidden") }));
      }
      var ok = test.status === "passed";
      tbody.appendChild(el("tr", {
        "class": "test-" + test.status + (test.hidden ? " hidden-test" : ""),
        "data-error-line": test.explanation && test.explanation.line ? test.explanation.line : null
      }, [
        head,
        el("td", {}, [
          el("span", { "class": ok ? "ok" : "ko", "aria-hidden": "true", text: ok ? "✔" : "✘" }),
          document.createTextNode(" " + (test.message || ""))
        ]),
        detailsCell(test, data)
      ]));
    }
    results.appendChild(el("table", { "class": "results-table" }, [
      el("caption", { "class": "visually-hidden", text: t("caption") }),
      el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col", text: t("test") }),
        el("th", { scope: "col", text: t("result") }),
        el("th", { scope: "col", text: t("details") })
      ])]),
      tbody
    ]));
    results.appendChild(el("p", { "class": "hint", text: t("legend") }));
    if (data.solved && data.next_exercise && data.next_exercise.url) {
      // The page's own small "next exercise" link would now say the same thing twice.
      var pageLink = document.querySelector(".next-link");
      if (pageLink) { pageLink.parentNode.removeChild(pageLink); }
      results.appendChild(el("p", { "class": "next-exercise" }, [
        el("a", { "class": "button primary big-button", href: data.next_exercise.url,
                  text: t("next_exercise", { title: data.next_exercise.title || "" }) })
      ]));
    }
  }

  /* What a Run (or a playground run) did: like the run_output() macro. */
  function renderRun(results, data) {
    clear(results);
    results.hidden = false;
    results.setAttribute("aria-labelledby", "results-h");
    results.appendChild(el("h2", { id: "results-h", text: t("run_h") }));
    if (data.status === "ok") { results.appendChild(el("p", { "class": "result-ok", text: t("ran_ok") })); }
    var expl = explanationBlock(data.explanation);
    if (expl) { results.appendChild(expl); }
    results.appendChild(el("h3", { text: t("printed_h") }));
    if (data.stdout) {
      results.appendChild(el("pre", { "class": "output", text: data.stdout }));
    } else {
      results.appendChild(el("p", { "class": "hint", text: t("nothing_printed") }));
    }
    if (data.stdout_truncated) { results.appendChild(el("p", { "class": "hint", text: t("truncated") })); }
    if (data.lines_counted > 0 && data.lines_counted_text) {
      results.appendChild(el("p", { "class": "lines-counted", text: data.lines_counted_text }));
    }
  }

  // ---- the form ---------------------------------------------------------------------

  /* Shared wiring of #code-form for the exercise and the project pages. Returns the
     page object; page-specific handlers are passed in `actions` (name -> function). */
  function enhanceForm(options) {
    var form = document.getElementById("code-form");
    var textarea = document.getElementById("code");
    if (!form || !textarea) { return null; }
    var main = document.getElementById("main");
    var results = document.getElementById("results");
    if (!results) {
      results = el("section", { id: "results", "aria-live": "polite" });
      form.parentNode.insertBefore(results, form.nextSibling);
    }
    var turtle = document.getElementById("turtle");
    var status = el("span", { "class": "request-status", role: "status" });
    var buttons = form.querySelectorAll('button[name="action"]');
    var lastButton = null;
    var busy = false;
    var changeListeners = [];

    var editor = makeEditor(textarea, function (text) {
      for (var i = 0; i < changeListeners.length; i++) { changeListeners[i](text); }
    });
    addFontSwitch(form, editor);
    if (buttons.length) {
      var last = buttons[buttons.length - 1];
      last.parentNode.insertBefore(status, last.nextSibling);
    }

    // The no-JS page may already show an error's line (after a full-page post).
    var initialLine = main ? parseInt(main.getAttribute("data-error-line") || "", 10) : NaN;
    if (initialLine > 0) { editor.markErrorLine(initialLine); }

    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () { lastButton = this; });
    }

    function setBusy(on, message) {
      busy = on;
      form.setAttribute("aria-busy", on ? "true" : "false");
      for (var k = 0; k < buttons.length; k++) { buttons[k].disabled = on; }
      status.textContent = on ? (message || "") : "";
    }

    form.addEventListener("submit", function (event) {
      var action = lastButton ? lastButton.value : null;
      lastButton = null;
      var handler = action && options.actions[action];
      if (!handler) { return; }  // unknown button: let the plain form post do it
      event.preventDefault();
      if (busy) { return; }  // a second click while the first is on its way
      handler();
    });

    return {
      form: form, main: main, editor: editor, results: results, turtle: turtle,
      setBusy: setBusy,
      isBusy: function () { return busy; },
      onChange: function (fn) { changeListeners.push(fn); },
      stdin: function () {
        var box = document.getElementById("stdin");
        return box ? box.value : "";
      }
    };
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
    if (!main || !main.getAttribute("data-exercise") || !main.getAttribute("data-api-submit")) { return; }
    var runUrl = main.getAttribute("data-api-run");
    var submitUrl = main.getAttribute("data-api-submit");
    var hintUrl = main.getAttribute("data-api-hint");
    var draftUrl = main.getAttribute("data-api-draft");
    var keyInput = document.querySelector('#code-form input[name="client_key"]');
    var page = null;

    function afterAnswer(source) {
      // A new attempt gets a new key; a double click reuses the one on its way.
      if (keyInput) { keyInput.value = randomKey(); }
      if (drafts) { drafts.markSaved(source); }
    }

    function run() {
      page.setBusy(true, t("running"));
      page.editor.clearErrorLine();
      api("POST", runUrl, { source: page.editor.getValue(), stdin: page.stdin() }, function (error, status, data) {
        page.setBusy(false);
        if (error || status >= 400) { showError(page.results, errorMessage(status, data)); return; }
        renderRun(page.results, data);
        var line = data.error_line || (data.explanation && data.explanation.line);
        if (line) { page.editor.markErrorLine(line); }
        drawTurtle(page.turtle, data.turtle, true);
      });
    }

    function submit() {
      var source = page.editor.getValue();
      if (keyInput && !keyInput.value) { keyInput.value = randomKey(); }
      page.setBusy(true, t("checking"));
      page.editor.clearErrorLine();
      api("POST", submitUrl, { source: source, client_key: keyInput ? keyInput.value : randomKey() },
        function (error, status, data) {
          page.setBusy(false);
          if (error || status >= 400) { showError(page.results, errorMessage(status, data)); return; }
          afterAnswer(source);
          renderReport(page.results, data);
          var line = data.error_line || (data.explanation && data.explanation.line);
          if (line && !data.solved) { page.editor.markErrorLine(line); }
          if (data.turtle) { drawTurtle(page.turtle, data.turtle, true); }
        });
    }

    function hint() {
      if (!hintUrl) { return; }
      page.setBusy(true, "");
      api("POST", hintUrl, {}, function (error, status, data) {
        page.setBusy(false);
        var box = document.getElementById("hints");
        var button = page.form.querySelector('button[name="action"][value="hint"]');
        var noMore = data && data.error && data.error.code === "no_more_hints";
        if (error || (status >= 400 && !noMore)) {
          showError(page.results, errorMessage(status, data));
          return;
        }
        if (box && !noMore && (data.html || data.text)) {
          var list = box.querySelector("ol.hint-list");
          if (!list) {
            list = el("ol", { "class": "hint-list" });
            box.appendChild(list);
          }
          var old = list.querySelectorAll("li.new");
          for (var k = 0; k < old.length; k++) { old[k].className = ""; old[k].removeAttribute("tabindex"); }
          var body = el("div", { "class": "markdown" });
          // data.html is the hint's Markdown rendered by the server's safe renderer, as on the page.
          if (data.html) { body.innerHTML = data.html; } else { body.textContent = data.text; }
          var item = el("li", { "class": "new", tabindex: "-1", "data-level": data.level }, [body]);
          list.appendChild(item);
          item.focus();
        }
        if (button) {
          if (noMore || !(data.remaining > 0)) {
            button.parentNode.removeChild(button);
          } else {
            button.textContent = t("hint_button", { left: data.remaining });
          }
        }
      });
    }

    var actions = { run: run, submit: submit };
    if (hintUrl) { actions.hint = hint; }
    page = enhanceForm({ actions: actions });
    if (!page) { return; }
    var drafts = autosave(page, draftUrl, function (text) { return { source: text }; },
      function (text) { return text.replace(/\s+/g, "") !== ""; });
  }

  window.CodeKids = {
    t: t, el: el, api: api, drawTurtle: drawTurtle, enhanceForm: enhanceForm,
    autosave: autosave, renderRun: renderRun, showError: showError, errorMessage: errorMessage
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", exercisePage);
  } else {
    exercisePage();
  }
})();
