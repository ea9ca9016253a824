/* The club page's "Sync now" (issue 19): the form is sent in the background, and the
   sync box the server renders (templates/librarian/_sync.html) is swapped in every few
   seconds while the sync runs, so the librarian sees it progress. Without JavaScript
   the form is an ordinary POST: the page comes back when the sync has ended. */
(function () {
  if (!window.fetch || !window.FormData) { return; }
  var timer = null;

  function box() { return document.getElementById("sync-box"); }

  function swap(html) {
    var old = box();
    if (!old) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#sync-box");
    if (!fresh) { return; }
    old.parentNode.replaceChild(fresh, old);
    watch();
  }

  function poll() {
    var current = box();
    if (!current) { return; }
    fetch(current.getAttribute("data-url"), { credentials: "same-origin",
                                              headers: { "Accept": "text/html" } })
      .then(function (resp) {
        if (!resp.ok || resp.redirected) { throw new Error("polling stopped"); }
        return resp.text();
      })
      .then(swap)
      .catch(function () { /* leave the last state on screen */ });
  }

  function watch() {
    var current = box();
    if (!current) { return; }
    var form = current.querySelector("form.sync-form");
    if (form) { form.addEventListener("submit", send); }
    clearTimeout(timer);
    if (current.getAttribute("data-running") === "1") {
      var seconds = parseInt(current.getAttribute("data-seconds") || "2", 10);
      timer = setTimeout(poll, seconds * 1000);
    }
  }

  function send(event) {
    var form = event.target;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch", "Accept": "text/html" } })
      .then(function (resp) {
        if (!resp.ok || resp.redirected) { throw new Error("sync not started"); }
        return resp.text();
      })
      .then(swap)
      .catch(function () { form.submit(); });  /* the plain POST still works */
  }

  watch();
})();
