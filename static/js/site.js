/* Shared library PCs: after a while with no key or mouse activity, end the session
   so the next child does not find someone else's account open. The server enforces
   the same limit; this only makes it visible without waiting for the next click.
   Logging out is a POST with the CSRF token (a GET only shows a button), so the
   timer posts a small form of its own, as the header's button would. */
(function () {
  var body = document.body;
  var minutes = parseInt(body.getAttribute("data-idle-minutes") || "0", 10);
  var url = body.getAttribute("data-idle-url");
  if (!minutes || !url) { return; }
  var last = Date.now();
  var sent = false;
  function touch() { last = Date.now(); }
  ["keydown", "mousedown", "mousemove", "touchstart", "scroll"].forEach(function (name) {
    document.addEventListener(name, touch, { passive: true });
  });
  function logOut() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var form = document.createElement("form");
    var token = document.createElement("input");
    form.method = "post";
    form.action = url;
    form.hidden = true;
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = meta ? meta.getAttribute("content") : "";
    form.appendChild(token);
    body.appendChild(form);
    form.submit();
  }
  setInterval(function () {
    if (!sent && Date.now() - last > minutes * 60 * 1000) { sent = true; logOut(); }
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
