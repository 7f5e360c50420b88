/*
 * A clinician's or admin's page leaves the screen once the idle timeout has
 * passed since it was drawn (STAFF_IDLE_TIMEOUT_SECONDS, data-timeout-seconds on
 * this script's tag), so that a patient's record left open on a ward screen is
 * not shown to whoever walks past. The page reloads itself: the server, which
 * counts page requests as activity (accounts.middleware), then logs the
 * person out and shows the login page, which brings them back here after they
 * log in again. A page they asked for in another tab since then counts too: the
 * reload only finds them still logged in and draws the page again.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var seconds = script ? parseFloat(script.getAttribute("data-timeout-seconds")) : 0;
  if (!(seconds > 0)) return;
  // A little after the server's limit, so that the reload is past it.
  window.setTimeout(function () {
    window.location.reload();
  }, (seconds + 5) * 1000);
})();
