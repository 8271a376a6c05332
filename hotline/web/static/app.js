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

// Queues: sortable headers (click a header; the column's data-sort value or its text), the
// select-all box of 批量签收, and the tab title that shows how many tickets wait to be signed.
(function () {
  "use strict";
  function key(cell) { return cell ? (cell.getAttribute("data-sort") || cell.textContent.trim()) : ""; }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("table.sortable th button.sort");
    if (!btn) { return; }
    var th = btn.closest("th"), table = th.closest("table"), body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) {
      if (h.hasAttribute("aria-sort")) { h.setAttribute("aria-sort", "none"); }
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > 1; });
    rows.sort(function (a, b) {
      var x = key(a.cells[index]), y = key(b.cells[index]);
      return (ascending ? 1 : -1) * x.localeCompare(y, "zh-CN", {numeric: true});
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
  document.addEventListener("change", function (e) {
    if (e.target.id !== "pick-all") { return; }
    var form = e.target.form;
    Array.prototype.forEach.call(form.querySelectorAll("input[name=t]"), function (box) {
      box.checked = e.target.checked;
    });
  });
  function retitle() {
    var live = document.getElementById("inbox-live");
    if (!live) { return; }
    var waiting = parseInt(live.getAttribute("data-waiting") || "0", 10);
    document.title = (waiting ? "(" + waiting + ") " : "") + document.title.replace(/^\(\d+\) /, "");
  }
  // A refresh would replace the table under the handler's hand: not while boxes are ticked.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var live = document.getElementById("inbox-live");
    if (live && e.target === live && live.querySelector("input[name=t]:checked")) { e.preventDefault(); }
  });
  document.addEventListener("htmx:afterSwap", retitle);
  document.addEventListener("htmx:load", retitle);
})();

// The agent console when the safety check fires (CQ §10): the hand-over to the named service
// becomes the main action and takes Alt+S, that service and 特急 are chosen, no unit is; a
// dispatch anyway asks for confirmation and a reason. When the verdict goes away, it all reverts.
(function () {
  "use strict";
  function apply() {
    var form = document.getElementById("intake");
    if (!form) { return; }
    var verdict = document.getElementById("emergency-verdict");
    var dispatch = document.getElementById("btn-dispatch");
    var handover = document.getElementById("btn-handover");
    var override = document.getElementById("override");
    var hint = document.getElementById("primary-hint");
    var primary = form.querySelectorAll("button[data-primary]");
    Array.prototype.forEach.call(primary, function (b) { b.removeAttribute("data-primary"); });
    if (verdict && handover) {
      var service = verdict.getAttribute("data-service") || "110";
      handover.setAttribute("data-primary", "");
      if (dispatch) { dispatch.classList.remove("primary"); dispatch.querySelector("kbd") && (dispatch.querySelector("kbd").hidden = true); }
      var svc = document.getElementById("service"); if (svc) { svc.value = service; }
      var urgency = document.getElementById("urgency"); if (urgency) { urgency.value = "very_urgent"; }
      var lead = document.getElementById("lead_unit_id"); if (lead) { lead.value = ""; }
      if (override) { override.hidden = false; }
      if (hint) { hint.textContent = "Alt+S 移交 " + service; }
      form.setAttribute("data-emergency", service);
    } else {
      if (dispatch) { dispatch.setAttribute("data-primary", ""); dispatch.classList.add("primary"); dispatch.querySelector("kbd") && (dispatch.querySelector("kbd").hidden = false); }
      if (override) { override.hidden = true; }
      if (hint) { hint.textContent = "Alt+S 派发"; }
      form.removeAttribute("data-emergency");
    }
  }
  // The panel is re-drawn on every pause in typing; a screen reader hears only what changed:
  // the emergency verdict appearing or going away (the panel itself is not a live region).
  var announced = "";
  function announce() {
    var status = document.getElementById("assist-status");
    var verdict = document.getElementById("emergency-verdict");
    var now = verdict ? "应急事项：立即转 " + (verdict.getAttribute("data-service") || "110") : "";
    if (status && now !== announced) { status.textContent = now || "已无应急提示"; announced = now; }
  }
  document.addEventListener("htmx:afterSwap", function (e) { if (e.target.id === "assist") { apply(); announce(); } });
  document.addEventListener("DOMContentLoaded", apply);
  // 派发 while the verdict stands: a reason and an explicit confirmation, or nothing happens.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.id !== "intake" || !form.hasAttribute("data-emergency")) { return; }
    var submitter = e.submitter;
    if (!submitter || submitter.value !== "dispatch") { return; }
    var reason = document.getElementById("override_reason");
    if (!reason || !reason.value.trim()) {
      e.preventDefault();
      if (reason) { reason.focus(); reason.setCustomValidity("应急事项派发须填写理由"); reason.reportValidity(); reason.setCustomValidity(""); }
      return;
    }
    if (!window.confirm("该来电被识别为应急事项（" + form.getAttribute("data-emergency") + "）。确定不移交而作为工单派发？")) {
      e.preventDefault();
    }
  }, true);
})();

// Firefox opens accesskeys with Alt+Shift: the on-screen hints say so there.
(function () {
  "use strict";
  if (navigator.userAgent.indexOf("Firefox") < 0) { return; }
  function fix() {
    Array.prototype.forEach.call(document.querySelectorAll("kbd"), function (k) {
      if (/^Alt\+(?!Shift)/.test(k.textContent)) { k.textContent = k.textContent.replace(/^Alt\+/, "Alt+Shift+"); }
    });
  }
  document.addEventListener("DOMContentLoaded", fix);
  document.addEventListener("htmx:afterSwap", fix);
})();

// Actions that ask for care (退单, 重办, 合并…) are confirmed before they are sent.
document.addEventListener("submit", function (e) {
  "use strict";
  // the form's own message, or the button's (并入此单 in the agent console)
  var message = (e.submitter && e.submitter.getAttribute("data-confirm")) ||
    (e.target.getAttribute && e.target.getAttribute("data-confirm"));
  if (message && !window.confirm(message)) { e.preventDefault(); }
}, true);
// "Back" links (the error page): the CSP allows no javascript: URLs, so the link says data-back.
document.addEventListener("click", function (e) {
  var link = e.target && e.target.closest ? e.target.closest("a[data-back]") : null;
  if (link && window.history.length > 1) { e.preventDefault(); window.history.back(); }
});
