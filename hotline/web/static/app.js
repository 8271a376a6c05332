// Keyboard shortcuts for desk work: "/" focuses the search box, Alt+S submits the current form
// (accesskeys on the buttons cover the rest), Esc leaves a field.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && !typing(document.activeElement) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      var box = document.getElementById("search");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (e.key === "Escape" && typing(document.activeElement)) {
      document.activeElement.blur();
      return;
    }
    if (e.altKey && !e.ctrlKey && (e.key === "s" || e.key === "S" || e.code === "KeyS")) {
      // Submit the form being typed in, else the page's default form, with its primary button.
      var active = document.activeElement;
      var form = (active && active.form) || document.querySelector("form[data-default]");
      if (form) {
        var btn = form.querySelector("button[data-primary]") || form.querySelector("button[type=submit]");
        e.preventDefault();
        if (btn) { form.requestSubmit(btn); } else { form.requestSubmit(); }
      }
    }
  });
})();

// "Back" links (the error page): the CSP allows no javascript: URLs, so the link says data-back.
document.addEventListener("click", function (e) {
  var link = e.target && e.target.closest ? e.target.closest("a[data-back]") : null;
  if (link && window.history.length > 1) { e.preventDefault(); window.history.back(); }
});
