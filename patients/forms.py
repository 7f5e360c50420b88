import uuid
from decimal import Decimal

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout, Submit
from django import forms

from .catalogue import (
    AREAS,
    BASELINE_ITEMS,
    COUNT,
    ITEMS,
    SCORE,
    STOOLS_MAX,
    TEMPERATURE,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    WELLBEING,
    YESNO,
    Item,
)


def _yes(value: str) -> bool:
    return value == "yes"


def answer_field(item: Item, *, usual=None) -> forms.Field:
    """The form field for one catalogue item; `usual` is the patient's baseline value."""
    help_text = f"Your usual: {item.display(usual)}" if usual is not None else ""
    if item.kind == SCORE:
        return forms.TypedChoiceField(
            label=item.question,
            choices=[(i, label) for i, label in enumerate(item.choices)],
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            help_text=help_text,
        )
    if item.kind == YESNO:
        return forms.TypedChoiceField(
            label=item.question,
            choices=[("no", "No"), ("yes", "Yes")],
            coerce=_yes,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
        )
    if item.kind == COUNT:
        return forms.IntegerField(
            label=item.question,
            min_value=0,
            max_value=STOOLS_MAX,
            required=False,
            help_text=help_text,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            error_messages={"max_value": f"Enter a number from 0 to {STOOLS_MAX}."},
        )
    if item.kind == WELLBEING:
        return forms.IntegerField(
            label=item.question,
            min_value=0,
            max_value=10,
            required=False,
            help_text=help_text,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            error_messages={
                "min_value": "Enter a number from 0 to 10.",
                "max_value": "Enter a number from 0 to 10.",
            },
        )
    if item.kind == TEMPERATURE:
        message = (
            f"That temperature is not possible on a thermometer reading of a person: "
            f"enter it in °C, between {TEMPERATURE_MIN} and {TEMPERATURE_MAX} (for example 37.2)."
        )
        return forms.DecimalField(
            label=f"{item.question} (°C)",
            min_value=TEMPERATURE_MIN,
            max_value=TEMPERATURE_MAX,
            max_digits=3,
            decimal_places=1,
            required=False,
            step_size=Decimal("0.1"),
            widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            error_messages={"min_value": message, "max_value": message},
        )
    raise ValueError(item.kind)


def _layout(items: tuple[Item, ...], *extra) -> Layout:
    def field(item):
        return InlineRadios(item.key) if item.kind in (SCORE, YESNO) else item.key

    sections = []
    for area in AREAS:
        in_area = [field(i) for i in items if i.area == area]
        if in_area:
            sections.append(Fieldset(area, *in_area, css_class="mb-3"))
    return Layout(*sections, *extra)


class BaselineForm(forms.Form):
    """How the patient feels normally, before or at the start of treatment."""

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        for item in BASELINE_ITEMS:
            self.fields[item.key] = answer_field(item)
            if current is not None:
                self.fields[item.key].initial = getattr(current, item.key)
        self.helper = FormHelper()
        self.helper.layout = _layout(BASELINE_ITEMS, Submit("save", "Save my usual"))

    def values(self) -> dict:
        return {item.key: self.cleaned_data.get(item.key) for item in BASELINE_ITEMS}


class CheckInForm(forms.Form):
    form_token = forms.UUIDField(widget=forms.HiddenInput)
    free_text = forms.CharField(
        label="Anything else you are struggling with?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    new_medicines = forms.CharField(
        label="Have you taken any new medicines since your last check-in? Which?",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Please do not start new medicines (such as anti-diarrhoea tablets) "
        "before speaking to your team.",
    )

    def __init__(self, *args, baseline=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4())
        for item in ITEMS:
            usual = getattr(baseline, item.key, None) if item.has_baseline else None
            self.fields[item.key] = answer_field(item, usual=usual)
        self.helper = FormHelper()
        self.helper.layout = _layout(
            ITEMS,
            Fieldset("Anything else", "free_text", "new_medicines"),
            "form_token",
            HTML('<p class="small text-body-secondary">Questions left blank are not counted.</p>'),
            Submit("submit", "Send my check-in", css_class="btn-lg w-100"),
        )

    def full_clean(self):
        super().full_clean()
        if self.is_bound and "form_token" in self._errors:
            # A lost or mangled hidden token (an old cached page): nothing is saved,
            # and the form comes back with a fresh token so that sending again works.
            del self._errors["form_token"]
            self.add_error(None, "This form had expired. Check your answers and send it again.")
            self.data = self.data.copy()
            self.data["form_token"] = str(uuid.uuid4())

    def answers(self) -> dict:
        return {
            item.key: value
            for item in ITEMS
            if (value := self.cleaned_data.get(item.key)) is not None
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.answers():
            raise forms.ValidationError("Answer at least one question before sending.")
        return cleaned
