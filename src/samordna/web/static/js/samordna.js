// Samordna: small progressive enhancements; every core path works without JavaScript.
(function () {
  "use strict";
  // Move focus to the first invalid field or message after htmx swaps in a refused form.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelector) return;
    var focus = target.querySelector("[aria-invalid='true'], [data-autofocus], .alert[role='alert']");
    if (focus) {
      if (!focus.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(focus.tagName)) {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus();
    }
  });
  // Close an inline form: buttons with data-close-form restore the card's action list.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-form]");
    if (!button) return;
    var slot = document.getElementById(button.getAttribute("data-close-form"));
    if (slot) {
      slot.innerHTML = "";
      var opener = document.querySelector("[aria-controls='" + slot.id + "'][aria-expanded='true']");
      if (opener) { opener.setAttribute("aria-expanded", "false"); opener.focus(); }
    }
  });
})();
