/* "Who needs help now": asks the server for the list again every few seconds and
   swaps it in, so the page on the librarian's screen stays current during a club
   meeting. Without JavaScript the page reloads itself (a <noscript> meta refresh). */
(function () {
  var box = document.getElementById("help-list");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var seconds = parseInt(box.getAttribute("data-seconds") || "20", 10);
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) {
        // A login page (session ended) or an error: stop quietly; the next visit shows why.
        if (!resp.ok || resp.redirected) { throw new Error("refresh stopped"); }
        return resp.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        setTimeout(refresh, seconds * 1000);
      })
      .catch(function () { /* leave the last list on screen */ });
  }
  setTimeout(refresh, seconds * 1000);
})();
