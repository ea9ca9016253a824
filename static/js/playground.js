/* CODE Kids: a playground project page, made better when JavaScript runs.

   Loaded after static/js/exercise.js, whose window.CodeKids holds the shared editor,
   API, results and turtle code. Without JavaScript the page is the plain form
   (Run and Save post the whole page). With it: Run answers in place (output, the
   friendly error with its line marked, the turtle drawing animated), Save keeps
   the name and the program without leaving the page, and the program is also
   saved by itself a moment after the child stops typing. ES5 on purpose. */
(function () {
  "use strict";
  var CK = window.CodeKids;
  if (!CK) { return; }

  function projectPage() {
    var main = document.getElementById("main");
    if (!main || !main.getAttribute("data-project") || !main.getAttribute("data-api-run")) { return; }
    var runUrl = main.getAttribute("data-api-run");
    var projectUrl = main.getAttribute("data-api-project");
    var projectId = parseInt(main.getAttribute("data-project"), 10) || null;
    var nameInput = document.querySelector('#code-form input[name="name"]');
    var page = null;
    var drafts = null;

    function run() {
      page.setBusy(true, CK.t("running"));
      page.editor.clearErrorLine();
      var body = { source: page.editor.getValue(), stdin: page.stdin(), project_id: projectId };
      CK.api("POST", runUrl, body, function (error, status, data) {
        page.setBusy(false);
        if (error || status >= 400) { CK.showError(page.results, CK.errorMessage(status, data)); return; }
        CK.renderRun(page.results, data);
        var line = data.error_line || (data.explanation && data.explanation.line);
        if (line) { page.editor.markErrorLine(line); }
        CK.drawTurtle(page.turtle, data.turtle, true);
      });
    }

    function save() {
      if (!projectUrl) { return; }
      var source = page.editor.getValue();
      var body = { source: source };
      if (nameInput) { body.name = nameInput.value; }
      page.setBusy(true, CK.t("saving"));
      CK.api("PUT", projectUrl, body, function (error, status, data) {
        page.setBusy(false);
        if (error || status >= 400) { CK.showError(page.results, CK.errorMessage(status, data)); return; }
        if (drafts) { drafts.markSaved(source); }
        var note = page.form.querySelector(".draft-status");
        if (note) {
          note.textContent = CK.t("saved");
          note.className = "draft-status saved";
        }
        if (data && data.name) {
          var heading = document.querySelector("h1[data-project-name]");
          if (heading) { heading.textContent = data.name; }
        }
      });
    }

    page = CK.enhanceForm({ actions: { run: run, save: save } });
    if (!page) { return; }
    drafts = CK.autosave(page, projectUrl, function (text) { return { source: text }; }, null, "PUT");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", projectPage);
  } else {
    projectPage();
  }
})();
