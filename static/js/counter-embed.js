// The embeddable counter: every 10 seconds it asks for this same page again (the
// server's ETag makes an unchanged answer a tiny 304) and puts the fresh figures in
// place. The server writes every word and number, in the page's language; the script
// only moves them. Without JavaScript the page shows the figures it was served with.
(function () {
  "use strict";
  var root = document.getElementById("counter-embed");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var url = root.getAttribute("data-refresh");
  var interval = Math.max(10000, parseInt(root.getAttribute("data-interval"), 10) || 10000);

  function refresh() {
    if (document.hidden) { return; }
    fetch(url, { cache: "no-cache", credentials: "omit" })
      .then(function (resp) { return resp.ok ? resp.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("embed-figures");
        var shown = document.getElementById("embed-figures");
        // Only a change is written, so a screen reader is not told the same figure again.
        if (fresh && shown && fresh.innerHTML !== shown.innerHTML) {
          shown.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () { /* offline for a moment: keep the last figures */ });
  }
  window.setInterval(refresh, interval);
}());
