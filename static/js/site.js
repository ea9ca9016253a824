/* Shared library PCs: after a while with no key or mouse activity, end the session
   so the next child does not find someone else's account open. The server enforces
   the same limit; this only makes it visible without waiting for the next click. */
(function () {
  var body = document.body;
  var minutes = parseInt(body.getAttribute("data-idle-minutes") || "0", 10);
  var url = body.getAttribute("data-idle-url");
  if (!minutes || !url) { return; }
  var last = Date.now();
  function touch() { last = Date.now(); }
  ["keydown", "mousedown", "mousemove", "touchstart", "scroll"].forEach(function (name) {
    document.addEventListener(name, touch, { passive: true });
  });
  setInterval(function () {
    if (Date.now() - last > minutes * 60 * 1000) { window.location.href = url; }
  }, 15000);
})();

/* Print buttons (<button data-print hidden>): shown only where the browser can
   print. A script file rather than onclick="window.print()", which the
   Content-Security-Policy refuses. */
(function () {
  if (!window.print) { return; }
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
