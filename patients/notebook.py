"""The patient's notebook: questions for the next appointment, and their treatment in
plain words. Written for people who may be unwell and reading on a phone."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import Patient, Question, Treatment

# Questions people often wish they had asked, to add with one tap. The keys are
# what the "Add" buttons post; the wording is ours, in plain British English.
SUGGESTED_QUESTIONS: dict[str, str] = {
    "how_often": _("How often will I have my treatment, and for how long?"),
    "medicine_name": _("What is my medicine called? Could you write it down for me?"),
    "kind": _("What kind of immunotherapy am I having, and how does it work?"),
    "side_effects": _("Which side effects should I look out for, and which ones are urgent?"),
    "whom_to_ring": _("Who should I ring if I feel unwell, in the day and at night?"),
    "support": _("Are there support groups, or other help, for people like me?"),
    "company": _("Can someone come with me to my appointments and treatment?"),
    "work": _("Can I keep working while I have treatment?"),
    "exercise": _("Is it safe to exercise? What kind of exercise is good for me?"),
    "holidays": _("Can I go on holiday or travel? What should I take with me?"),
}


def suggestions_not_added(patient: Patient) -> list[tuple[str, str]]:
    """The suggested questions the patient has not put in their notebook yet."""
    added = {text.casefold() for text in patient.questions.values_list("text", flat=True)}
    return [
        (key, text)
        for key, text in SUGGESTED_QUESTIONS.items()
        if not _in_any_language(text) & added
    ]


def _in_any_language(text) -> set[str]:
    """The wording in each of the site's languages: added in one, it counts in all."""
    wordings = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            wordings.add(str(text).casefold())
    return wordings


def question_add(*, patient: Patient, text: str) -> tuple[Question, bool]:
    """Add a question; the same wording twice is kept once (a double tap adds one)."""
    existing = patient.questions.filter(text__iexact=text).first()
    if existing is not None:
        return existing, False
    return Question.objects.create(patient=patient, text=text), True


def question_mark_asked(*, question: Question, asked: bool, now=None) -> None:
    if asked and question.asked_at is None:
        question.asked_at = now or timezone.now()
    elif not asked:
        question.asked_at = None
    question.save(update_fields=["asked_at"])


# My treatment, in plain words.

KIND_EXPLAINED = {
    "checkpoint_inhibitor": (
        "A checkpoint inhibitor. It takes the brakes off your immune system so that it "
        "can find and attack the cancer."
    ),
    "monoclonal_antibody": (
        "An antibody medicine. It helps your immune system find the cancer cells and attack them."
    ),
    "car_t": _(
        "CAR-T cell therapy. Some of your own white blood cells were changed in a laboratory "
        "to recognise the cancer, and then given back to you."
    ),
    "cytokine": (
        "A cytokine. It is a copy of a substance your body makes, given to make your immune "
        "system more active."
    ),
}

STATUS_EXPLAINED = {
    "active": (
        "Going ahead",
        "Your treatment is going ahead as planned.",
    ),
    "held": (
        "Paused for now",
        "Your team has paused (held) your treatment for now, often to let a side effect "
        "settle. It does not always mean it has stopped for good: the team will tell you "
        "when it can start again. Side effects can still appear while it is paused, so "
        "keep checking in.",
    ),
    "stopped": (
        "Stopped",
        "Your treatment has been stopped. Side effects can still appear weeks or months "
        "after the last dose, so keep checking in and tell the team about any change.",
    ),
    "finished": (
        "Finished",
        "You have finished your course of treatment. Side effects can still appear months "
        "later, sometimes more than a year later, so keep telling the team about any change.",
    ),
}


@dataclass(frozen=True)
class NextDose:
    date: date
    days: int

    @property
    def when(self) -> str:
        """'today', 'tomorrow', 'in 5 days', or '' once the date has passed."""
        if self.days == 0:
            return "today"
        if self.days == 1:
            return "tomorrow"
        return f"in {self.days} days" if self.days > 1 else ""


def next_dose(treatment: Treatment, *, today: date) -> NextDose | None:
    """The next dose counted from the patient's own today (their time zone, not ours)."""
    if treatment.next_dose_date is None:
        return None
    return NextDose(treatment.next_dose_date, (treatment.next_dose_date - today).days)
