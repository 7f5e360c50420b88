/* The check-in and baseline forms. No inline scripts: the site's Content Security Policy
   allows scripts from its static files only.

   - Error summary: focused when the page opens with errors; each link moves to its question.
   - "As usual": a body area's button fills that area with the patient's usual answers (each
     question with a usual carries it in data-usual). The whole form's button fills every
     question that has a usual, answers every warning sign No (a Yes already given is kept)
     and leaves the temperature blank; it never sends: the patient reads, changes, sends.
     Its words come from the server on the button (data-said, data-said-kept), the same
     words the page shows without JavaScript (patients/forms/check_in.py).
   - Folding: an area whose every question is answered by "as usual" folds to one line
     (data-area-fold) with a button (aria-expanded) that shows its questions again, so an
     ordinary day is a short page. Without JavaScript nothing folds.
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

  /* Every warning sign not answered Yes is answered No; true if a Yes was kept. */
  function noToWarnings() {
    var keptYes = false;
    form.querySelectorAll(".area-warning fieldset.choice-group").forEach(function (question) {
      if (question.querySelector('input[value="yes"]:checked')) { keptYes = true; return; }
      var no = question.querySelector('input[type="radio"][value="no"]');
      if (no && !no.checked) {
        no.checked = true;
        no.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    return keptYes;
  }

  function withoutUsual(scope) {
    return scope.querySelectorAll("[data-item]:not([data-usual])").length;
  }

  function filledMessage(filled, left) {
    var said = "Filled in " + (filled === 1 ? "1 answer" : filled + " answers") + " with " + whose + " usual.";
    if (left === 1) said += " 1 question here has no usual and is left for you to answer.";
    else if (left) said += " " + left + " questions here have no usual and are left for you to answer.";
    return said + " Change anything that is different today.";
  }

  function announce(status, text) {
    // Emptied first so that the same words, said twice, are announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  /* Folding an area to one line, and showing its questions again (the line goes:
     the area stays open while the patient changes anything). */
  function setFolded(section, folded) {
    var line = section.querySelector("[data-area-fold]");
    var questions = section.querySelector(".area-questions");
    if (!line || !questions) return;
    line.hidden = !folded;
    questions.hidden = folded;
    section.classList.toggle("area-folded", folded);
    line.querySelector(".area-fold-toggle").setAttribute("aria-expanded", folded ? "false" : "true");
  }

  function answered(item) {
    if (item.querySelector('input[type="radio"]:checked')) return true;
    var box = item.querySelector('input[type="number"], input[type="text"]');
    return Boolean(box && box.value.trim() !== "");
  }

  /* Folded when every question is answered (the temperature, optional, when blank). */
  function foldIfAnswered(section) {
    if (!section.querySelector("[data-area-fold]")) return;
    // Never hides an error, or a warning sign answered Yes (and its "send now" block).
    if (section.querySelector('.has-error, input[value="yes"]:checked')) return;
    var complete = Array.prototype.every.call(section.querySelectorAll("[data-item]"), function (item) {
      if (item.classList.contains("temperature-item")) {
        var box = item.querySelector("input[type='number']");
        return !box || box.value.trim() === "";
      }
      return answered(item);
    });
    if (complete) setFolded(section, true);
  }

  form.addEventListener("click", function (event) {
    var toggle = event.target.closest(".area-fold-toggle");
    if (toggle) {
      var section = toggle.closest("section.area");
      setFolded(section, false);
      // Focus moves to the first answer shown (the button itself has gone).
      var first = section.querySelector(".area-questions input:checked, .area-questions input");
      if (first) first.focus({ preventScroll: true });
      section.scrollIntoView({ block: "start", behavior: "instant" });
      return;
    }
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
    var said;
    if (everything) {
      var keptYes = noToWarnings();
      said = button.getAttribute(keptYes ? "data-said-kept" : "data-said");
    } else {
      said = filledMessage(count, withoutUsual(scope));
    }
    form.querySelectorAll(".as-usual-status").forEach(function (other) {
      if (other !== status) other.textContent = "";
    });
    var sections = everything ? form.querySelectorAll("section.area") : [scope];
    Array.prototype.forEach.call(sections, foldIfAnswered);
    announce(status, said);
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
        // Scrolled only as far as needed to show it whole, by whole pixels (scrollIntoView
        // can leave a fraction of a pixel under the edge); focus stays on the answer.
        var below = sendNow.getBoundingClientRect().bottom - window.innerHeight;
        if (below > 0) window.scrollBy({ top: Math.ceil(below) + 8 });
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
