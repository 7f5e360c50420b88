/*
 * The triage queue refreshes itself in place.
 *
 * Every data-check-seconds (3) the page asks its own URL, with the same filters,
 * plus partial=1 and since=<the version it shows> (data-queue-version): the
 * server answers 204, having rendered nothing, when the worklist has not changed
 * (one aggregate over the teams' open episodes), else the results region, so a
 * new red shows within seconds. Every data-refresh-seconds (30) it fetches the
 * region whatever the version (the "Updated" time, "minutes ago"). Either way it
 * swaps only #queue-results (counts, last update, table), with data-queue-version
 * in it. The filter form is outside it, so a select the nurse has open or
 * half-changed is left alone. The row at the top of the screen stays where it
 * was (flags that arrive above it do not push it down) and the focused link is
 * focused again. Hidden tabs do not check; a tab shown again checks at once.
 * New flags are announced politely and highlighted. Neither the check nor the
 * refresh is activity (both carry partial=1, which is_background in
 * accounts/two_factor.py reads): a queue left alone logs a nurse out after the
 * idle timeout (accounts.middleware), and the page then reloads to the
 * login page. Without JavaScript the page works the same, with a Refresh link.
 */
(function () {
  "use strict";

  var region = document.getElementById("queue-results");
  if (!region || !window.fetch || !window.URL) return;
  var announcer = document.getElementById("queue-announcer");
  var problem = document.getElementById("queue-refresh-problem");
  var timer = null;
  var lastRefresh = Date.now();
  var busy = false;
  var stopped = false;

  function secondsAttribute(name, fallback) {
    var seconds = parseFloat(region.getAttribute(name));
    return (seconds > 0 ? seconds : fallback) * 1000;
  }

  function intervalMs() {
    return secondsAttribute("data-check-seconds", 3);
  }

  function refreshDue() {
    return Date.now() - lastRefresh >= secondsAttribute("data-refresh-seconds", 30);
  }

  /* The version of the worklist the region shows (selectors.queue_version). */
  function shownVersion() {
    var holder = region.querySelector("[data-queue-version]");
    return holder ? holder.getAttribute("data-queue-version") : "";
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = null;
    if (stopped || document.hidden) return;
    timer = window.setTimeout(refresh, Math.max(0, ms));
  }

  /* The region's URL; with `since`, a check that answers 204 when nothing changed. */
  function partialUrl(since) {
    var url = new URL(window.location.href);
    url.hash = "";
    url.searchParams.set("partial", "1");
    if (since) url.searchParams.set("since", since);
    return url.toString();
  }

  function flagsIn(root) {
    var flags = {};
    root.querySelectorAll("[data-flag-id]").forEach(function (row) {
      flags[row.getAttribute("data-flag-id")] = row.getAttribute("data-urgency");
    });
    return flags;
  }

  /* A selector that finds the focused element again in the new content. */
  function focusSelector() {
    var el = document.activeElement;
    if (!el || el === region || !region.contains(el)) return null;
    if (el.id) return "#" + CSS.escape(el.id);
    var href = el.getAttribute("href");
    if (!href) return null;
    var row = el.closest("[data-flag-id]");
    var inRow = row ? '[data-flag-id="' + CSS.escape(row.getAttribute("data-flag-id")) + '"] ' : "";
    return inRow + 'a[href="' + CSS.escape(href) + '"]';
  }

  function showProblem(text) {
    if (!problem) return;
    problem.textContent = text;
    problem.hidden = !text;
  }

  function announce(before, after) {
    var counts = {};
    var total = 0;
    Object.keys(after).forEach(function (id) {
      if (before[id]) return;
      counts[after[id]] = (counts[after[id]] || 0) + 1;
      total += 1;
      var row = region.querySelector('[data-flag-id="' + CSS.escape(id) + '"]');
      if (row) row.classList.add("is-new");
    });
    if (!total || !announcer) return;
    var parts = ["emergency", "red", "amber"]
      .filter(function (u) { return counts[u]; })
      .map(function (u) { return counts[u] + " " + u; });
    announcer.textContent =
      total + (total === 1 ? " new flag" : " new flags") + " in the queue: " + parts.join(", ") + ".";
    // Fade the highlight once the nurse has had time to see it.
    window.setTimeout(function () {
      region.querySelectorAll("tr.is-new").forEach(function (row) { row.classList.add("is-seen"); });
    }, 10000);
  }

  /* The first flag row at least partly on screen, and where its top is. */
  function anchorRow() {
    var rows = region.querySelectorAll("[data-flag-id]");
    for (var i = 0; i < rows.length; i += 1) {
      var box = rows[i].getBoundingClientRect();
      if (box.bottom > 0) return { id: rows[i].getAttribute("data-flag-id"), top: box.top };
    }
    return null;
  }

  function swap(html) {
    var before = flagsIn(region);
    var focused = focusSelector();
    var anchor = anchorRow();
    var x = window.scrollX;
    var y = window.scrollY;
    var wide = region.querySelector(".table-responsive");
    var left = wide ? wide.scrollLeft : 0;

    region.innerHTML = html;

    wide = region.querySelector(".table-responsive");
    if (wide) wide.scrollLeft = left;
    if (focused) {
      var target = region.querySelector(focused);
      (target || region).focus({ preventScroll: true });
    }
    // Keep the nurse's place: the row she was looking at stays where it was on
    // screen, even when new flags arrive above it; failing that, the same scroll.
    // "instant": Bootstrap makes scrolling smooth, which would animate the jump.
    var row = anchor && region.querySelector('[data-flag-id="' + CSS.escape(anchor.id) + '"]');
    var top = row && y > 0 ? window.scrollY + row.getBoundingClientRect().top - anchor.top : y;
    if (window.scrollY !== top || window.scrollX !== x) {
      window.scrollTo({ left: x, top: top, behavior: "instant" });
    }
    announce(before, flagsIn(region));
  }

  /* A check (since the version shown), or a full refresh when one is due or asked for. */
  function refresh(full) {
    if (busy || stopped) return;
    busy = true;
    window.clearTimeout(timer);
    var whole = full === true || refreshDue();
    fetch(partialUrl(whole ? "" : shownVersion()), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (response.status < 500 && response.headers.get("X-Queue-Results") !== "1") {
          // Not the queue: the session has ended (logged out after being idle:
          // a 401; or elsewhere: the login page) or wants the second factor.
          // Reload: the server sends the page to log in, and from there back here.
          stopped = true;
          showProblem("Your session has ended: opening the login page.");
          window.location.reload();
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        if (response.status === 204) return ""; // nothing new since the version shown
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        if (html) {
          swap(html);
          lastRefresh = Date.now();
        }
        showProblem("");
      })
      .catch(function () {
        showProblem("Could not update the queue just now; trying again shortly.");
      })
      .then(function () {
        busy = false;
        schedule(intervalMs());
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(timer);
      timer = null;
    } else {
      schedule(0); // a check: cheap, and whatever arrived while hidden shows at once
    }
  });

  // The Refresh link refreshes in place too (without JavaScript it reloads the page).
  region.addEventListener("click", function (event) {
    var link = event.target.closest("[data-queue-refresh]");
    if (!link || stopped || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    refresh(true);
  });

  schedule(intervalMs());
})();
