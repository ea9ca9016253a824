// The embeddable counter: asks /api/v1/counter for the national total at most every
// 10 seconds (the server's ETag makes an unchanged answer a tiny 304) and updates
// the figures. Without JavaScript the page still shows the total it was served with.
(function () {
  "use strict";
  var root = document.getElementById("counter-embed");
  if (!root || !window.fetch) { return; }
  var api = root.getAttribute("data-api");
  var interval = Math.max(10000, parseInt(root.getAttribute("data-interval"), 10) || 10000);
  var locale = root.getAttribute("data-locale") || "ro";
  var total = document.getElementById("embed-total");
  var historical = document.getElementById("embed-historical");
  var format;
  try { format = new Intl.NumberFormat(locale); } catch (e) { format = { format: String }; }

  function refresh() {
    if (document.hidden) { return; }
    fetch(api, { cache: "no-cache", credentials: "omit" })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data || !data.national) { return; }
        total.textContent = format.format(data.national.counted);
        if (historical) { historical.textContent = format.format(data.national.historical); }
      })
      .catch(function () { /* offline for a moment: keep the last figure */ });
  }
  window.setInterval(refresh, interval);
}());
