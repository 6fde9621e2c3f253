// Live pages (DESIGN.md §15): a board, a measure page, the measure list and the meeting views listen to their
// area's stream through the htmx SSE extension. One element of the page says how, with data attributes:
//
//   data-live-root                  the element with sse-connect; data-live="ready" once the stream listens
//   data-live-announce="… {ref} … {actor} …"   what the polite live region (#live-status) says of a change
//   data-live-measures="12 13"      only changes of these measures matter (absent: every measure of the area)
//   data-live-region="board-body"   the region a change re-reads (absent: the page only shows the notice)
//   data-live-refresher="board-refresh"   an htmx element that re-reads the region (absent: data-live-url, or the
//                                   page's own address, and the region selected from the page it answers)
//   data-live-hold=".card-form"     while this is in the region (a form open), a change waits behind the notice
//                                   instead of replacing the region under the user's hands
//
// A page knows the version it shows of each measure (an element with data-live-measure and data-version): a change
// it already shows (the user's own, swapped in by their action) is not read again. The notice (#live-notice) offers
// «Vis endringene»: a button (data-live-refresh) that re-reads the region, or a plain link to the page, which works
// without JavaScript too. A change that comes while the user's own request is under way waits for its answer (the
// change may be that request's own), and a page that is leaving (a form sent without htmx) reads nothing again.
// Without JavaScript every page is a plain page, current when loaded.
(function () {
  "use strict";
  function root() { return document.querySelector("[data-live-root]"); }
  function region(live) {
    var id = live.getAttribute("data-live-region");
    return id ? document.getElementById(id) : null;
  }
  function changeOf(data) {
    if (typeof data !== "string") return null;
    try { return JSON.parse(data); } catch (e) { return null; }
  }
  // Does the page care about this change, and does it not show it yet?
  function wanted(live, change) {
    if (!change || !change.measure) return false;
    var only = live.getAttribute("data-live-measures");
    if (only !== null && only.split(/\s+/).indexOf(String(change.measure)) < 0) return false;
    var shown = document.querySelectorAll("[data-live-measure='" + Number(change.measure) + "'][data-version]");
    for (var i = 0; i < shown.length; i++) {
      if (change.version && Number(shown[i].getAttribute("data-version")) >= change.version) return false;
    }
    return true;
  }
  function holding(live) {
    var area = region(live);
    if (!area) return true;  // nothing to re-read: the notice is all the page does
    var hold = live.getAttribute("data-live-hold");
    return !!(hold && area.querySelector(hold));
  }
  function fill(template, change) {
    return (template || "").replace("{ref}", change.ref || "").replace("{actor}", change.actor || "");
  }
  function announce(live, change) {
    var status = document.getElementById("live-status");
    var text = live.getAttribute("data-live-announce");
    if (status && text && change && change.ref) status.textContent = fill(text, change);
  }
  function showNotice(change) {
    var notice = document.getElementById("live-notice");
    if (!notice) return;
    var text = notice.querySelector("[data-live-notice-text]");
    if (text && change && change.actor) text.textContent = fill(text.getAttribute("data-live-notice-text"), change);
    notice.hidden = false;
  }
  function refresh(live) {
    var refresher = document.getElementById(live.getAttribute("data-live-refresher") || "");
    var area = region(live);
    if (!window.htmx || !area) return;
    if (refresher) {
      window.htmx.trigger(refresher, "live-refresh");
      return;
    }
    var selector = "#" + area.id;
    var url = live.getAttribute("data-live-url") || window.location.pathname + window.location.search;
    window.htmx.ajax("GET", url, { target: selector, select: selector, swap: "outerHTML" });
  }
  var pending = 0;      // the user's own htmx requests under way
  var waiting = [];     // changes that came meanwhile
  var leaving = false;  // a form was sent without htmx: a new page is coming
  function arrived(change) {
    var live = root();
    if (!live || leaving) return;
    if (pending > 0) {
      waiting.push(change);
      return;
    }
    if (change !== null && !wanted(live, change)) return;  // null: a `refresh`, too much was missed
    if (change) announce(live, change);
    if (holding(live)) showNotice(change);
    else refresh(live);
  }
  // The stream says `ready` once it listens: the page marks it (data-live="ready"), as tests and styles may ask.
  if (window.htmx && window.htmx.createEventSource) {
    var create = window.htmx.createEventSource;
    window.htmx.createEventSource = function (url) {
      var source = create(url);
      source.addEventListener("ready", function () {
        var live = root();
        if (live) live.setAttribute("data-live", "ready");
      });
      source.addEventListener("error", function () {
        var live = root();
        if (live) live.removeAttribute("data-live");
      });
      source.addEventListener("measure", function (event) {
        var change = changeOf(event.data);
        if (change) arrived(change);
      });
      source.addEventListener("refresh", function () { arrived(null); });
      return source;
    };
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var verb = event.detail && event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb && verb !== "get") pending++;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var verb = event.detail && event.detail.requestConfig && event.detail.requestConfig.verb;
    if (!verb || verb === "get" || pending === 0) return;
    pending--;
    // The answer is swapped in by now (or settling): what came meanwhile is weighed against the page it left.
    window.setTimeout(function () {
      if (pending > 0) return;
      var came = waiting;
      waiting = [];
      came.forEach(arrived);
    }, 50);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!event.defaultPrevented && form && !form.hasAttribute("hx-post") && !form.closest("[hx-boost='true']")) {
      leaving = true;
      window.setTimeout(function () { leaving = false; }, 3000);  // a script held the form back after all
    }
  });
  window.addEventListener("pageshow", function () { leaving = false; });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-live-refresh]");
    var live = root();
    if (!button || !live) return;
    var notice = document.getElementById("live-notice");
    if (notice) notice.hidden = true;
    refresh(live);
  });
  // A refresh keeps the keyboard where it was: the focused control is focused again in the new region (the same
  // holder, found by its id, and the same control in it), or a card moved by the user's own action would lose the
  // focus that followed it.
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";
  var kept = null;
  function isRegion(target) {
    var live = root();
    return !!(live && target && target.id && target.id === live.getAttribute("data-live-region"));
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    kept = null;
    var target = event.detail && event.detail.target;
    var active = document.activeElement;
    if (!isRegion(target) || !active || !target.contains(active)) return;
    var holder = active.parentElement && active.parentElement.closest("[id]");
    if (!holder || !target.contains(holder)) return;
    kept = { id: holder.id, index: Array.prototype.indexOf.call(holder.querySelectorAll(FOCUSABLE), active) };
  });
  // A refresh that came in keeps the notice away; the region is current again.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.id) return;
    var live = root();
    // outerHTML: the event's target may be the old, detached element; the region is found again by its id.
    if (!live || target.id !== live.getAttribute("data-live-region")) return;
    var notice = document.getElementById("live-notice");
    if (notice && !holding(live)) notice.hidden = true;
    if (kept) {
      var holder = document.getElementById(kept.id);
      var again = holder && holder.querySelectorAll(FOCUSABLE)[kept.index];
      if (again) again.focus({ preventScroll: true });
      kept = null;
    }
  });
})();
