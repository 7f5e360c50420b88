/* The check-in and baseline forms. No inline scripts: the site's Content Security Policy
   allows scripts from its static files only.

   - Error summary: focused when the page opens with errors; each link moves to its question.
   - "As usual": fill a body area (or the whole check-in) with the patient's usual answers.
     Each question with a usual carries it in data-usual; warning signs and the temperature
     have none, so they are never filled. Without JavaScript the same buttons submit the
     form and the server shows it filled in, with the same words (patients/forms/check_in.py,
     filled_message).
   - Warning signs: once any is answered yes, a "send now" block appears directly under that
     question, in sight (the page scrolls just enough if it would be below the window) and
     next in the Tab order, and a polite status says so; nobody has to scroll thousands of
     pixels to the Send button. Without JavaScript the block stays hidden and the form's
     own Send button sends, as it always does. */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-error-link]");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      // The question's legend or label comes into view with its answer, then the answer has focus.
      var question = target.closest("fieldset.choice-group, .number-item") || target;
      question.scrollIntoView({ block: "start", behavior: "instant" });
      target.focus({ preventScroll: true });
    });
  }

  var form = document.querySelector("form.check-in-form");
  if (!form) return;
  var whose = form.getAttribute("data-whose") || "your";

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

  /* Questions with no usual in scope; for the whole form, besides the warning signs and
     the temperature, which never have one. */
  function withoutUsual(scope, everything) {
    var left = 0;
    scope.querySelectorAll("[data-item]:not([data-usual])").forEach(function (item) {
      if (everything && (item.closest(".area-warning") || item.classList.contains("temperature-item"))) return;
      left += 1;
    });
    return left;
  }

  function filledMessage(filled, left, everything) {
    var said = "Filled in " + (filled === 1 ? "1 answer" : filled + " answers") + " with " + whose + " usual.";
    if (everything) {
      var what = left
        ? "the warning signs, temperature and " + left + " other question" + (left === 1 ? "" : "s")
        : "the warning signs and temperature";
      return said + " Questions with no usual (" + what + ") are left for you to answer." +
        " Change anything that is different today, then send.";
    }
    if (left === 1) said += " 1 question here has no usual and is left for you to answer.";
    else if (left) said += " " + left + " questions here have no usual and are left for you to answer.";
    return said + " Change anything that is different today.";
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
    var everything = slug === "all";
    var scope = everything ? form : form.querySelector('section[data-area="' + slug + '"]');
    var holder = form.querySelector('[data-area="' + slug + '"]');
    var status = holder && holder.querySelector(".as-usual-status");
    if (!scope || !status) return;
    var count = fill(scope);
    form.querySelectorAll(".as-usual-status").forEach(function (other) {
      if (other !== status) other.textContent = "";
    });
    announce(status, filledMessage(count, withoutUsual(scope, everything), everything));
  });

  var warnings = form.querySelector(".area-warning");
  var sendNow = warnings && warnings.querySelector("[data-warning-send]");
  var warningStatus = warnings && warnings.querySelector("[data-warning-status]");
  if (sendNow && warningStatus) {
    var home = sendNow.parentNode;
    var homeNext = sendNow.nextSibling;
    var questionOf = function (radio) { return radio.closest("fieldset.choice-group"); };
    var yesAnswers = function () {
      return warnings.querySelectorAll('input[type="radio"][value="yes"]:checked');
    };
    /* The block goes directly under the question just answered yes (or, when that one
       goes back to no, under the last one still yes): on screen, and next in the Tab order. */
    var place = function (question) {
      if (question) question.after(sendNow);
      else home.insertBefore(sendNow, homeNext);
    };
    var update = function (changed, announceIt) {
      var yes = yesAnswers();
      var anchor = null;
      if (changed && changed.value === "yes" && changed.checked) anchor = questionOf(changed);
      else if (yes.length) {
        anchor = questionOf(yes[yes.length - 1]);
        if (!sendNow.hidden && sendNow.previousElementSibling &&
          sendNow.previousElementSibling.querySelector('input[value="yes"]:checked')) {
          anchor = null; // where it is, under a question still yes: it stays
        }
      }
      if (!yes.length) {
        sendNow.hidden = true;
        place(null);
        warningStatus.textContent = "";
        return;
      }
      if (anchor) place(anchor);
      sendNow.hidden = false;
      if (!announceIt || !anchor) return;
      var button = sendNow.querySelector(".send-now").textContent.trim();
      var said = "The button \u201c" + button + "\u201d is now just after ";
      if (changed.value === "yes") {
        // Scrolled only as far as needed to show it whole; focus stays on the answer.
        sendNow.scrollIntoView({ block: "nearest" });
        said = "You answered yes to a warning sign. " + said + "this question.";
      } else {
        var legend = anchor.querySelector("legend");
        said += "\u201c" + (legend ? legend.textContent.trim() : "") + "\u201d.";
      }
      announce(warningStatus, said);
    };
    warnings.addEventListener("change", function (event) {
      if (event.target.matches('input[type="radio"]')) update(event.target, true);
    });
    update(null, false); // a page sent back with a warning sign already yes
  }
})();
