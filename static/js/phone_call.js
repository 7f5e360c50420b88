/*
 * The phone call page (templates/alerts/call.html): the engine's result follows
 * the answers as they are recorded.
 *
 * On every change of an answer (a radio, a number, the temperature's unit), after a
 * short pause, the form's fields are posted to its data-preview-url
 * (alerts:call_preview), which saves nothing and answers with the result's HTML;
 * that replaces #call-result (a polite live region). Answers that change again
 * before the answer arrives win: an older answer is dropped. The outcome, advice,
 * reason and note are not answers and post nothing. Without JavaScript the "Work
 * out the result" button draws the page again with the result, as before.
 */
(function () {
  "use strict";

  var form = document.querySelector("form.call-form");
  var region = document.getElementById("call-result");
  if (!form || !region || !window.fetch || !window.FormData) return;
  var url = form.getAttribute("data-preview-url");
  var NOT_ANSWERS = ["outcome", "override_reason", "advice", "note", "free_text", "new_medicines"];
  var timer = null;
  var asked = 0;

  function isAnswer(target) {
    return target && target.name && NOT_ANSWERS.indexOf(target.name) === -1 &&
      target.name !== "csrfmiddlewaretoken";
  }

  function preview() {
    var mine = ++asked;
    var body = new FormData(form);
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (html) {
      if (mine !== asked) return;
      region.innerHTML = html;
      form.setAttribute("data-previewed", String(mine));
    }).catch(function () {
      if (mine !== asked) return;
      region.innerHTML = "<p class=\"call-result mb-0\">The result could not be worked out just now: press “Work out the result”.</p>";
    });
  }

  function changed(event) {
    if (!isAnswer(event.target)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.type === "number") changed(event);
  });
})();
