/* "As usual": fill a body area (or the whole check-in) with the patient's usual answers.
   Each question with a usual carries it in data-usual; warning signs and the temperature
   have none, so they are never filled. Without JavaScript the same buttons submit the
   form and the server shows it filled in. */
(function () {
  "use strict";
  var form = document.querySelector("form.check-in-form");
  if (!form) return;

  function fill(scope) {
    var count = 0;
    scope.querySelectorAll("[data-usual]").forEach(function (item) {
      var usual = item.getAttribute("data-usual");
      var radio = item.querySelector('input[type="radio"][value="' + CSS.escape(usual) + '"]');
      var box = item.querySelector('input[type="number"], input[type="text"]');
      if (radio) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
        count += 1;
      } else if (box) {
        box.value = usual;
        box.dispatchEvent(new Event("input", { bubbles: true }));
        count += 1;
      }
    });
    return count;
  }

  function announce(status, text) {
    // Emptied first so that the same words, said twice, are announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-fill]");
    if (!button) return;
    event.preventDefault();
    var slug = button.getAttribute("data-fill");
    var scope = slug === "all" ? form : form.querySelector('section[data-area="' + slug + '"]');
    var holder = form.querySelector('[data-area="' + slug + '"]');
    var status = holder && holder.querySelector(".as-usual-status");
    if (!scope || !status) return;
    var count = fill(scope);
    form.querySelectorAll(".as-usual-status").forEach(function (other) {
      if (other !== status) other.textContent = "";
    });
    var what = count === 1 ? "1 answer" : count + " answers";
    announce(status, slug === "all"
      ? "Filled in " + what + " with your usual. Check the warning signs, change anything that is different today, then send."
      : "Filled in " + what + " with your usual. Change anything that is different today.");
  });
})();
