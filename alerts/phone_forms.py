"""The phone triage's forms: finding a patient, and the call (the patient's check-in
form, asked by a clinician, with the outcome, the advice given and a note)."""

import copy

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.utils.functional import cached_property

from clinical.catalogue import ITEMS
from clinical.urgency import CHOICES as URGENCY_CHOICES
from clinical.urgency import LABELS, RANK
from patients.forms.check_in import _WIDGETS, CHECK_IN_AREAS, Area, CheckInForm, too_long

from .models import PhoneCall

SEARCH_MIN = 2  # characters of a name or hospital number before a search runs


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Name or hospital number",
        max_length=100,
        required=False,
        help_text="Part of the first or last name, or the whole hospital number.",
    )

    def term(self) -> str:
        """The search term, or "" when there is none to search for."""
        if not self.is_valid():
            return ""
        term = " ".join(self.cleaned_data["q"].split())
        return term if len(term) >= SEARCH_MIN else ""


class CallArea(Area):
    """A body area of the call: its questions, without the patient's "as usual"
    buttons and words (the clinician reads the questions to the patient)."""

    template = "alerts/widgets/call_area.html"


ENGINE = ""  # the outcome's choice that takes the engine's urgency


class CallForm(CheckInForm):
    """The patient's check-in form (the same catalogue, fields and validation), each
    question with the patient's usual beside it, and what the clinician records:
    the outcome, the advice given, a note.

    `judge(answers)` gives the engine's Evaluation for the answers; once the answers
    are valid, `evaluation` holds it, and an outcome below it needs a reason."""

    outcome = forms.ChoiceField(
        label="Outcome urgency",
        required=False,
        choices=[(ENGINE, "The engine's result"), *reversed(URGENCY_CHOICES)],
        widget=forms.RadioSelect,
        help_text="Choose another only if your judgement differs. A lower urgency than "
        "the engine's needs a reason.",
    )
    override_reason = forms.CharField(
        label="Why a lower urgency than the engine's?",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=too_long("the reason"),
    )
    advice = forms.ChoiceField(
        label="Advice given",
        choices=PhoneCall.ADVICE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the advice you gave."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=too_long("the note"),
    )

    CALL_FIELDS = ("outcome", "override_reason", "advice", "note")

    def __init__(self, *args, judge=None, **kwargs):
        super().__init__(*args, who="the patient", **kwargs)
        # CheckInForm keeps its own fields, in its order; the call's follow them.
        for name in self.CALL_FIELDS:
            self.fields[name] = copy.deepcopy(self.base_fields[name])
        self.judge = judge
        self.evaluation = None
        self.fields["free_text"].label = "Anything else the patient mentions"
        self.fields["new_medicines"].label = "New medicines taken since the last check-in"
        self.fields["new_medicines"].help_text = ""

    @cached_property
    def helper(self) -> FormHelper:
        self._own_fields()
        areas = []
        for area in CHECK_IN_AREAS:
            keys = [item.key for item in ITEMS if item.area == area]
            fields = [Field(key, template=_WIDGETS[self.fields[key].item.kind]) for key in keys]
            areas.append(CallArea(area, *fields))
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(*areas, CallArea("Anything else", "free_text", "new_medicines"))
        return helper

    def judged(self):
        """The engine's result for the answers, if they are valid and answer anything
        (nothing is saved); None otherwise. Checks only the answers."""
        if self.evaluation is None and self.judge is not None and self.is_bound:
            answers_valid = not any(item.key in self.errors for item in ITEMS)
            answers = self.answers() if answers_valid else {}
            if answers:
                self.evaluation = self.judge(answers)
        return self.evaluation

    def work_out(self):
        """Validate for the result only ("Work out the result", the preview): the
        answers' own errors stay; what is needed only to save (the advice, a reason,
        at least one answer) is not asked yet. Returns the Evaluation or None."""
        self.full_clean()
        kept = {name: e for name, e in self._errors.items() if name in self.ANSWERS}
        self._errors.clear()
        self._errors.update(kept)
        return self.judged()

    ANSWERS = frozenset(item.key for item in ITEMS)

    def answers(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        return {item.key: value for item in ITEMS if (value := data.get(item.key)) is not None}

    def clean(self):
        cleaned = super().clean()
        evaluation = self.judged()
        if evaluation is None:
            return cleaned
        chosen = cleaned.get("outcome") or evaluation.urgency
        reason = (cleaned.get("override_reason") or "").strip()
        if RANK[chosen] < RANK[evaluation.urgency] and not reason:
            self.add_error(
                "override_reason",
                f"You chose {LABELS[chosen].lower()}, lower than the engine's "
                f"{LABELS[evaluation.urgency].lower()}: write why. Nothing has been saved.",
            )
        return cleaned

    @property
    def chosen(self) -> str:
        """The outcome urgency: the one chosen, else the engine's."""
        chosen = getattr(self, "cleaned_data", {}).get("outcome")
        return chosen or (self.evaluation.urgency if self.evaluation else "")
