// Samordna: small progressive enhancements; every core path works without JavaScript.
(function () {
  "use strict";
  // Move focus to the first invalid field or message after htmx swaps in a refused form.
  document.addEventListener("htmx:afterSwap", function (event) {
    // After an outerHTML swap detail.target is the element that was replaced (no longer in the page);
    // the event fires on the new content itself.
    var target = event.target && event.target.isConnected ? event.target : event.detail.target;
    if (!target || !target.querySelector) return;
    var wanted = "[aria-invalid='true'], [data-autofocus], .alert[role='alert']";
    var focus = target.matches && target.matches(wanted) ? target : target.querySelector(wanted);
    if (focus) {
      if (!focus.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(focus.tagName)) {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus();
    }
  });
  // A button that opened a form into a slot (aria-controls) is expanded; other openers of that slot are not.
  document.addEventListener("htmx:afterSwap", function (event) {
    var opener = event.detail.requestConfig && event.detail.requestConfig.elt;
    var slotId = opener && opener.getAttribute && opener.getAttribute("aria-controls");
    if (!slotId || !opener.hasAttribute("aria-expanded")) return;
    document.querySelectorAll("[aria-controls='" + slotId + "'][aria-expanded]").forEach(function (other) {
      other.setAttribute("aria-expanded", other === opener ? "true" : "false");
    });
  });
  // Content swapped in out of band (a card moved to another column) asks for focus with data-autofocus.
  document.addEventListener("htmx:load", function (event) {
    var root = event.target;
    if (!root || root === document.body || !root.querySelector) return;
    var focus = root.matches("[data-autofocus]") ? root : root.querySelector("[data-autofocus]");
    if (focus && document.activeElement !== focus && !root.closest("form")) {
      if (!focus.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(focus.tagName)) {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus();
    }
  });
  // Character counters («42 av 200 tegn») under text fields with a limit (templates/macros/forms.html).
  // Counted as the server counts: the trimmed text, each line break sent as two characters (CR LF).
  // The visible counter follows every key; its aria-live twin speaks once typing pauses.
  function length(value) {
    return Array.from(value.trim().replace(/\r?\n/g, "\r\n")).length;
  }
  function startCounters(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-counter-for]").forEach(function (counter) {
      var field = document.getElementById(counter.getAttribute("data-counter-for"));
      if (!field || counter.hasAttribute("data-counting")) return;
      counter.setAttribute("data-counting", "");
      var live = document.getElementById(counter.id + "-live");
      var max = parseInt(counter.getAttribute("data-max"), 10);
      var lang = document.documentElement.lang || "nb";
      var timer = null;
      function update() {
        var n = length(field.value);
        var text = counter.getAttribute(n > max ? "data-over" : "data-text")
          .replace("{n}", n.toLocaleString(lang)).replace("{max}", max.toLocaleString(lang))
          .replace("{over}", (n - max).toLocaleString(lang));
        counter.textContent = text;
        counter.classList.toggle("counter--over", n > max);
        if (live) {
          clearTimeout(timer);
          timer = setTimeout(function () { live.textContent = text; }, 700);
        }
      }
      field.addEventListener("input", update);
      update();
      if (live) { clearTimeout(timer); live.textContent = ""; }  // nothing to announce before typing
    });
  }
  document.addEventListener("DOMContentLoaded", function () { startCounters(document.body); });
  document.addEventListener("htmx:load", function (event) { startCounters(event.target); });
  // A contact person is a member of the responsible unit: a member select names the unit select of its form
  // (data-of-unit), each option the unit of its member (data-unit; templates/macros/forms.html). Once a unit
  // is chosen, the other units' members are hidden and disabled, and a choice that no longer fits is undone.
  // A form the server sent back keeps its choice visible, even a refused one (its message explains why).
  // Without a script every member is offered and the server refuses a mismatch with a message.
  function narrow(select, keepChoice) {
    var unit = document.getElementById(select.getAttribute("data-of-unit"));
    if (!unit) return;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.hasAttribute("data-unit")) return;  // «Velg …»
      var other = unit.value !== "" && option.getAttribute("data-unit") !== unit.value;
      if (keepChoice && option.selected) other = false;
      option.hidden = other;
      option.disabled = other;
    });
    if (select.selectedIndex > 0 && select.options[select.selectedIndex].disabled) select.value = "";
  }
  function startNarrowing(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("select[data-of-unit]").forEach(function (select) { narrow(select, true); });
  }
  document.addEventListener("DOMContentLoaded", function () { startNarrowing(document.body); });
  document.addEventListener("htmx:load", function (event) { startNarrowing(event.target); });
  document.addEventListener("change", function (event) {
    var unit = event.target;
    if (!unit || !unit.id || unit.tagName !== "SELECT") return;
    document.querySelectorAll("select[data-of-unit='" + CSS.escape(unit.id) + "']").forEach(function (select) {
      narrow(select, false);
    });
  });
  // A text box the user made taller keeps its height when a refused form comes back. The browser records
  // the size in a style attribute; htmx must not copy that attribute over (a CSP violation: base.html's
  // attributesToSettle leaves "style" out), so the height goes across through CSSOM, which CSP allows.
  var heights = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    heights = {};
    var target = event.detail.target;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("textarea[id]").forEach(function (box) {
      if (box.style.height) heights[box.id] = box.style.height;
    });
  });
  document.addEventListener("htmx:afterSwap", function () {
    Object.keys(heights).forEach(function (id) {
      var box = document.getElementById(id);
      if (box) box.style.height = heights[id];
    });
    heights = {};
  });
  // Close an inline form: buttons with data-close-form, or Esc inside the form, restore the card's action
  // list and give focus back to the button that opened the form.
  function closeSlot(slot) {
    slot.innerHTML = "";
    var opener = document.querySelector("[aria-controls='" + slot.id + "'][aria-expanded='true']");
    if (opener) { opener.setAttribute("aria-expanded", "false"); opener.focus(); }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-form]");
    if (!button) return;
    var slot = document.getElementById(button.getAttribute("data-close-form"));
    if (slot) closeSlot(slot);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) return;
    var close = event.target.closest && event.target.closest("form") &&
      event.target.closest("form").querySelector("[data-close-form]");
    var slot = close && document.getElementById(close.getAttribute("data-close-form"));
    if (!slot || !slot.contains(event.target)) return;
    event.preventDefault();
    closeSlot(slot);
  });
})();
// «Skriv ut» (the agenda): shown only with JavaScript, which it needs; the browser's own print works without.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});

// The projector view of a meeting: the arrow keys walk the items (the links work without a script).
document.addEventListener("keydown", function (event) {
  if (!document.querySelector(".live__nav") || event.target.closest("input, textarea, select, button")) return;
  var link = document.querySelector('.live__nav a[data-key="' + event.key + '"]');
  if (link) window.location.href = link.href;
});

// «Vedlegg» (templates/partials/attachments.html): while htmx sends a file the form's progress bar shows how much
// has gone, and its status line says what happens — «Laster opp filen …», then «Filen kontrolleres …» once every
// byte is sent and the server examines it. The submit button is disabled meanwhile (hx-disabled-elt). The answer
// replaces the section or the measure's main block, so the bar needs no reset then; an answer that swaps nothing
// (a network error, a status the page has no message for) puts the form back and says so. Without a script the
// form posts as it is and the browser shows its own progress.
(function () {
  "use strict";
  function uploadForm(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.matches && elt.matches(".attachments__form") ? elt : null;
  }
  function say(form, text) {
    var status = form.querySelector(".attachments__status");
    if (status && status.textContent !== text) status.textContent = text;
  }
  function show(form, loaded, total) {
    var box = form.querySelector(".attachments__progress");
    if (!box) return;
    var percent = total ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
    box.hidden = false;
    box.querySelector("progress").value = percent;
    box.querySelector(".attachments__percent").textContent = percent.toLocaleString(document.documentElement.lang || "nb") + " %";
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = uploadForm(event);
    if (!form) return;
    show(form, 0, 0);
    say(form, form.getAttribute("data-sending"));
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest(".attachments__form");
    if (!form || !event.detail.lengthComputable) return;
    show(form, event.detail.loaded, event.detail.total);
    if (event.detail.loaded >= event.detail.total) say(form, form.getAttribute("data-checking"));
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = uploadForm(event);
    if (!form || !form.isConnected) return;  // swapped: the new section says what happened
    var box = form.querySelector(".attachments__progress");
    if (box) box.hidden = true;
    say(form, event.detail.successful ? "" : form.getAttribute("data-failed"));
  });
  // «Fjern»: the server answers a removal by a redirect to the page; htmx takes the part that changed from it
  // (hx-select). An answer without that part (a 403 or 404 page) is not swapped in: the form is sent again
  // without htmx, so the page shows the server's message as it does without a script.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;  // the event fires on the target
    if (!form || !form.matches || !form.matches("form[data-attachment-remove]")) return;
    if (event.detail.xhr.status === 200) return;
    event.detail.shouldSwap = false;
    event.detail.isError = false;
    form.submit();
  });
})();
