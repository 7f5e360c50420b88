/* Enrolment in clinic (templates/alerts/enrol.html): the usual's questions are hidden
   while "The patient will record it at their first visit" is chosen, since they are not
   kept then. Without JavaScript they stay in sight and are ignored on that choice. */
(function () {
  "use strict";
  var questions = document.querySelector("[data-usual-questions]");
  var later = document.querySelector("input[name='usual-usual'][value='later']");
  if (!questions || !later) return;
  function show() { questions.hidden = later.checked; }
  document.querySelectorAll("input[name='usual-usual']").forEach(function (radio) {
    radio.addEventListener("change", show);
  });
  show();
})();
