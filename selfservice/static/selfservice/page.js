/* Self-service preference page: progressive enhancement only; without it the page works the same.
 * Served by the app (prefcenter/selfservice/shell.py), allowed by CSP script-src 'self'. No dependencies.
 *  - The save bar (sticky by CSS alone) says when something changed since the page loaded.
 *  - Leaving the page with unsaved changes asks first (the browser's own dialog).
 *  - Enter on a switch does not submit the form (Space toggles it, as on any checkbox).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var unsavedText = (script && script.getAttribute("data-unsaved")) || "You have unsaved changes.";

  function snapshot(form) {
    var parts = [];
    var fields = form.elements;
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (!field.name || field.disabled || field.type === "hidden" || field.type === "submit") continue;
      if (field.type === "checkbox" || field.type === "radio") parts.push(field.name + "=" + field.checked);
      else parts.push(field.name + "=" + field.value);
    }
    return parts.join("&");
  }

  function enhance() {
    var form = document.querySelector("form.prefs");
    if (!form) return;
    var bar = form.querySelector(".actions");
    var initial = snapshot(form);
    var submitting = false;
    var status = null;
    if (bar) {
      status = document.createElement("p");
      status.className = "unsaved";
      status.setAttribute("role", "status");
      bar.appendChild(status);
    }

    function dirty() {
      return !submitting && snapshot(form) !== initial;
    }

    function update() {
      var changed = dirty();
      if (bar) bar.classList.toggle("is-dirty", changed);
      if (status) status.textContent = changed ? unsavedText : "";
    }

    form.addEventListener("change", update);
    form.addEventListener("input", update);
    form.addEventListener("submit", function () {
      submitting = true;
    });
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key === "Enter" && target && target.tagName === "INPUT" && target.type === "checkbox") {
        event.preventDefault();
      }
    });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty()) return undefined;
      event.preventDefault();
      event.returnValue = "";
      return "";
    });
    // Back/forward cache: a page restored after a save is clean again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        submitting = false;
        initial = snapshot(form);
        update();
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhance);
  else enhance();
})();
