// Progressive enhancement only: every page works without this file.
// After htmx swaps a page in (a boosted link or form), move the focus to
// what a screen reader user needs first: the list of errors when the form
// came back with some, else the page's title, so the new page is announced.
document.addEventListener("htmx:afterSettle", function (event) {
  if (!event.detail || !event.detail.boosted) { return; }
  var target = document.getElementById("erreurs") || document.querySelector("main h1");
  if (target) { target.setAttribute("tabindex", "-1"); target.focus({ preventScroll: false }); }
});
// The forms carry their CSRF token; htmx's own requests (the badge stream
// reconnects, history restores) send it as a header too.
document.addEventListener("htmx:configRequest", function (event) {
  var field = document.querySelector("input[name=csrf_token]");
  if (field) { event.detail.headers["X-CSRF-Token"] = field.value; }
});
