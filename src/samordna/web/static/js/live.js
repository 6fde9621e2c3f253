// Live boards (DESIGN.md §15): the board page listens to its area's stream through the htmx SSE extension
// (templates/pages/boards/board.html). Each change re-reads the board body (#board-refresh, hx-trigger
// "sse:measure"), so a card moves column and the counts change; the polite live region says which measure and
// who. While a card's form is open, the board is not replaced under the user's hands: a notice offers to show the
// changes instead. Without JavaScript the board is a plain page, current when loaded.
(function () {
  "use strict";
  // The stream says `ready` once it listens: the page marks it (data-live="ready"), as tests and styles may ask.
  if (window.htmx && window.htmx.createEventSource) {
    var create = window.htmx.createEventSource;
    window.htmx.createEventSource = function (url) {
      var source = create(url);
      source.addEventListener("ready", function () {
        var live = document.getElementById("board-live");
        if (live) live.setAttribute("data-live", "ready");
      });
      source.addEventListener("error", function () {
        var live = document.getElementById("board-live");
        if (live) live.removeAttribute("data-live");
      });
      return source;
    };
  }
  function changeOf(event) {
    var message = event.detail && event.detail.triggeringEvent && event.detail.triggeringEvent.detail;
    if (!message || typeof message.data !== "string") return null;
    try { return JSON.parse(message.data); } catch (e) { return null; }
  }
  function editing() {
    var body = document.getElementById("board-body");
    return !!(body && body.querySelector(".card-form"));
  }
  function announce(change) {
    var live = document.getElementById("board-live");
    var status = document.getElementById("live-status");
    if (!live || !status || !change || !change.ref) return;
    status.textContent = live.getAttribute("data-live-announce")
      .replace("{ref}", change.ref).replace("{actor}", change.actor || "");
  }
  // Before a live refresh: announce it, and hold it back while a card's form is open.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || elt.id !== "board-refresh") return;
    var trigger = event.detail.triggeringEvent;
    if (trigger && trigger.type === "live-refresh") return;  // asked for with the notice's button
    var change = changeOf(event);
    // The board already shows this change (the user's own, swapped in by their action): nothing to read again,
    // and the focus that followed the moved card stays on it.
    var card = change && change.measure && document.getElementById("measure-" + change.measure);
    if (card && change.version && Number(card.getAttribute("data-version")) >= change.version) {
      event.preventDefault();
      return;
    }
    announce(change);
    if (editing()) {
      event.preventDefault();
      var notice = document.getElementById("live-notice");
      if (notice) notice.hidden = false;
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-live-refresh]");
    if (!button) return;
    var notice = document.getElementById("live-notice");
    if (notice) notice.hidden = true;
    var refresh = document.getElementById("board-refresh");
    if (refresh && window.htmx) window.htmx.trigger(refresh, "live-refresh");
  });
  // A refresh keeps the keyboard where it was: the focused control of a card is focused again in the new board
  // (the same card, found by its id, and the same control in it), or the card moved by the user's own action
  // would lose the focus that followed it.
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    kept = null;
    var target = event.detail && event.detail.target;
    var active = document.activeElement;
    if (!target || target.id !== "board-body" || !active || !target.contains(active)) return;
    var holder = active.parentElement && active.parentElement.closest("[id]");
    if (!holder || !target.contains(holder)) return;
    kept = { id: holder.id, index: Array.prototype.indexOf.call(holder.querySelectorAll(FOCUSABLE), active) };
  });
  // A refresh that came in keeps the notice away; the board is current again.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "board-body") {
      var notice = document.getElementById("live-notice");
      if (notice && !editing()) notice.hidden = true;
      if (kept) {
        var holder = document.getElementById(kept.id);
        var again = holder && holder.querySelectorAll(FOCUSABLE)[kept.index];
        if (again) again.focus({ preventScroll: true });
        kept = null;
      }
    }
  });
})();
