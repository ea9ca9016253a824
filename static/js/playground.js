/* CODE Kids: a playground project page, made better when JavaScript runs.

   Loaded after static/js/exercise.js, whose window.CodeKids holds the shared editor,
   form and turtle code. Without JavaScript the page is the plain form (Run and Save
   post the whole page, which opens at #results). With it: Run posts the same form
   with X-CodeKids-Fragment: 1 and the server's answer (output, the friendly error,
   the turtle drawing) is put in place, its error line marked and the drawing
   animated; Save keeps the name and the program through the JSON API without
   leaving the page; the program is also saved by itself a moment after the child
   stops typing. ES5 on purpose. */
(function () {
  "use strict";
  var CK = window.CodeKids;
  if (!CK) { return; }

  function projectPage() {
    var main = document.getElementById("main");
    if (!main) { return; }
    if (main.getAttribute("data-playground") === "new") {
      // The new playground: Run answers in place; Save (a name) is the plain post that
      // makes the project and opens its page.
      CK.enhanceForm({ actions: { run: function (page) { page.send("run", CK.t("running")); } } });
      return;
    }
    if (!main.getAttribute("data-project")) { return; }
    var projectUrl = main.getAttribute("data-api-project");
    var nameInput = document.querySelector('#code-form input[name="name"]');
    var drafts = null;

    function run(page) {
      page.send("run", CK.t("running"), function (status, source) {
        // The server keeps a run program as the project's code, as the plain post does.
        if (drafts && status < 400) { drafts.markSaved(source); }
      });
    }

    function save(page) {
      if (!projectUrl) { return; }
      var source = page.editor.getValue();
      var body = { source: source };
      if (nameInput) { body.name = nameInput.value; }
      page.setBusy(true, CK.t("saving"));
      CK.api("PUT", projectUrl, body, function (error, status, data) {
        page.setBusy(false);
        if (error || status >= 400) { CK.showError(page.results(), CK.errorMessage(status, data)); return; }
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

    var page = CK.enhanceForm({ actions: { run: run, save: save } });
    if (!page) { return; }
    drafts = CK.autosave(page, projectUrl, function (text) { return { source: text }; }, null, "PUT");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", projectPage);
  } else {
    projectPage();
  }
})();
