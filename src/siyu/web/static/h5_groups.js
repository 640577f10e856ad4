/* The buyer's group page: keep the chat scrolled to the newest message and never show one twice. */
(function () {
  "use strict";

  function list() { return document.getElementById("chat-list"); }

  function nearBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 80; }

  function toBottom(el) { el.scrollTop = el.scrollHeight; }

  function dedupe(el) {
    var seen = {};
    Array.prototype.forEach.call(el.querySelectorAll("li[data-id]"), function (li) {
      var id = li.getAttribute("data-id");
      if (seen[id]) { li.remove(); } else { seen[id] = true; }
    });
  }

  var stick = true;

  document.addEventListener("DOMContentLoaded", function () {
    var el = list();
    if (!el) { return; }
    toBottom(el);
    el.addEventListener("scroll", function () { stick = nearBottom(el); });
    var box = document.querySelector("[data-testid=post-text]");
    if (box) {
      box.addEventListener("input", function () {
        box.style.height = "auto";
        box.style.height = Math.min(box.scrollHeight, 120) + "px";
      });
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var el = list();
    if (el && event.detail.target === el) { stick = stick || nearBottom(el); }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var el = list();
    if (!el || event.detail.target !== el) { return; }
    dedupe(el);
    if (stick) { toBottom(el); }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("[data-testid=post-form]") && event.detail.successful) {
      stick = true;
      var box = form.querySelector("textarea");
      if (box) { box.style.height = "auto"; }
    }
  });
})();
