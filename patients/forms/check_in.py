"""The check-in and the usual (baseline): a field for each item of the catalogue,
grouped by body area, with "as usual" buttons and temperatures in °C or °F."""

import copy
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, LayoutObject, Submit
from django import forms
from django.conf import settings
from django.forms.utils import pretty_name
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from clinical.catalogue import (
    AREAS,
    BASELINE_ITEMS,
    COUNT,
    ITEMS,
    SCORE,
    STOOLS_MAX,
    TEMPERATURE,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    WARNING,
    WELLBEING,
    YESNO,
    Item,
)
from clinical.words import celsius, fahrenheit, plain_name, usual_text


def _yes(value: str) -> bool:
    return value == "yes"


_TEMPERATURE_RANGE = _(
    "That temperature cannot be right. A body temperature is between %(c_min)s "
    "and %(c_max)s\u00a0°C (between %(f_min)s and %(f_max)s\u00a0°F). Please check it "
    "and type it again, for example 37.2\u00a0°C or 99.0\u00a0°F, and choose °C or °F "
    "beside the box."
)


def temperature_message() -> str:
    """The impossible-temperature message, in the reader's language (°F first in en-US)."""
    return _TEMPERATURE_RANGE % {
        "c_min": TEMPERATURE_MIN,
        "c_max": TEMPERATURE_MAX,
        "f_min": fahrenheit(TEMPERATURE_MIN),
        "f_max": fahrenheit(TEMPERATURE_MAX),
    }


class TemperatureField(forms.DecimalField):
    """A temperature typed in °C or °F (`in_fahrenheit`), cleaned to °C to one decimal.

    The range is checked after conversion, so one message covers both units; the
    box keeps what the patient typed when it is shown again with an error.
    """

    in_fahrenheit = False

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return (celsius(value) if self.in_fahrenheit else value).quantize(
                Decimal("0.1"), ROUND_HALF_UP
            )
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["range"], code="range") from None

    def validate(self, value):
        super().validate(value)
        if value is not None and not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
            # A likely slip of unit gets a hint ("typed" is what the patient typed).
            typed = fahrenheit(value) if self.in_fahrenheit else value
            message = self.error_messages["range"]
            if not self.in_fahrenheit and fahrenheit(TEMPERATURE_MIN) <= typed <= 115:
                message += " That looks like °F: choose °F."
            elif self.in_fahrenheit and TEMPERATURE_MIN <= typed <= TEMPERATURE_MAX:
                message += " That looks like °C: choose °C."
            raise forms.ValidationError(message, code="range")


# The baseline asks about a typical day where the check-in asks about the last 24 hours.
BASELINE_QUESTIONS = {
    "stools_per_day": _("On a typical day, how many times do you open your bowels?"),
    "wellbeing": _(
        "Overall, how well do you usually feel? (0 = very unwell, 10 = completely well)"
    ),
}


class _FixedChoices(BaseChoiceIterator):
    """Choices built once and never changed, shared by every copy of a field: Django
    takes a BaseChoiceIterator as it is (no normalising), and copying a field or its
    widget keeps these rather than copying each choice again for every form."""

    def __init__(self, choices):
        self.choices = tuple(choices)

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


# Built once: every form shares them.
_SCORE_CHOICES = {
    item.key: _FixedChoices(enumerate(item.choices)) for item in ITEMS if item.kind == SCORE
}
_YESNO_CHOICES = _FixedChoices((("no", "No"), ("yes", "Yes")))

# Plain words for every slip, in place of Django's ("Ensure this value is greater than
# or equal to 0.", "Select a valid choice. 9 is not one of the available choices.").
_CHOOSE = {"invalid_choice": "Choose one of the answers shown."}


def _between(low: int, high: int, example: int) -> dict:
    """A number too low or too high, or not a whole number: what to type instead."""
    said = f"Enter a number from {low} to {high}."
    return {
        "min_value": said,
        "max_value": said,
        "invalid": f"Enter a whole number from {low} to {high}, for example {example}.",
    }


def too_long(what: str) -> dict:
    """The message for a box of text too long (`what`: "this", "your question" ...)."""
    return {
        "max_length": f"Please make {what} shorter: at most %(limit_value)d characters "
        "(it has %(show_value)d)."
    }


def answer_field(
    item: Item, *, usual=None, whose="your", label=None, shared=False, language=None
) -> forms.Field:
    """The form field for one catalogue item; `usual` is the patient's baseline value.

    `whose` names the usual ("your", or "Alice's" when a carer checks in for Alice);
    `label` replaces the check-in's question (the baseline's wording).

    A copy of a field built once for the same item, usual, words and language (as
    Django copies a form's declared fields for each form): building 27 choice
    fields for every check-in cost more than validating them. With `shared`, that
    field itself, for a form that only reads its fields (validating and drawing
    them change nothing: tests/patients/test_check_in_form.py checks it); copying
    them cost a check-in's request more than its engine and its reads together.
    """
    key = (item.key, repr(usual), whose, label, language or translation.get_language())
    prototype = _PROTOTYPES.get(key)
    if prototype is None:
        if len(_PROTOTYPES) >= _PROTOTYPES_MAX:
            _PROTOTYPES.clear()
        prototype = _PROTOTYPES[key] = _new_answer_field(item, usual, whose, label)
    return prototype if shared else copy.deepcopy(prototype)


# Fields built by answer_field, by what they depend on; cleared when full. A handful
# of usual answers and languages cover most patients.
_PROTOTYPES: dict[tuple, forms.Field] = {}
_PROTOTYPES_MAX = 5000


def _new_answer_field(item: Item, usual, whose: str, label) -> forms.Field:
    help_text = ""
    if usual is not None:
        help_text = f"{whose[:1].upper()}{whose[1:]} usual: {usual_text(item, usual)}"
    label = label or item.question
    if item.kind == SCORE:
        field = forms.TypedChoiceField(
            label=label,
            choices=_SCORE_CHOICES[item.key],
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            help_text=help_text,
            error_messages=_CHOOSE,
        )
    elif item.kind == YESNO:
        field = forms.TypedChoiceField(
            label=label,
            choices=_YESNO_CHOICES,
            coerce=_yes,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            error_messages=_CHOOSE,
        )
    elif item.kind == COUNT:
        field = forms.IntegerField(
            label=label,
            min_value=0,
            max_value=STOOLS_MAX,
            required=False,
            help_text=help_text,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            error_messages=_between(0, STOOLS_MAX, 3),
        )
    elif item.kind == WELLBEING:
        field = forms.IntegerField(
            label=label,
            min_value=0,
            max_value=10,
            required=False,
            help_text=help_text,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            error_messages=_between(0, 10, 7),
        )
    elif item.kind == TEMPERATURE:
        field = TemperatureField(
            label=label,
            required=False,
            help_text=_("For example 37.2 °C or 99.0 °F."),
            widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            error_messages={
                "range": temperature_message(),
                "invalid": "Enter the temperature as a number, for example 37.2 or 99.0.",
            },
        )
    else:
        raise ValueError(item.kind)
    # Read by the check-in's widget templates (patients/widgets/).
    field.item, field.usual = item, usual
    return field


# "As usual": a button per body area (and one for the whole form) fills the area's
# answers with the patient's baseline. static/js/check_in.js does it in the page;
# without JavaScript the button submits, and the view shows the form filled in.
AS_USUAL = "as_usual_"
ALL_AREAS = "all"
AREA_SLUGS: dict[str, str] = {slugify(area): area for area in AREAS}
CHECK_IN_AREAS: tuple[str, ...] = (WARNING, *(a for a in AREAS if a != WARNING))
# The check-in's fields in the order the page asks them (the warning signs first, the
# free text last): the order its errors are found and listed in the summary at the top.
CHECK_IN_ORDER: tuple[str, ...] = (
    *(item.key for area in CHECK_IN_AREAS for item in ITEMS if item.area == area),
    "free_text",
    "new_medicines",
    "form_token",
)

_WIDGETS = {
    SCORE: "patients/widgets/choices.html",
    YESNO: "patients/widgets/choices.html",
    COUNT: "patients/widgets/number.html",
    WELLBEING: "patients/widgets/number.html",
    TEMPERATURE: "patients/widgets/temperature.html",
}


def filled_message(filled: int, left: int, *, whose: str = "your") -> str:
    """What a body area's "as usual" did, exactly (static/js/check_in.js says the same
    in the page). `filled`: answers filled with the usual; `left`: questions of the
    area with no usual recorded, left blank."""
    answers = "1 answer" if filled == 1 else f"{filled} answers"
    said = f"Filled in {answers} with {whose} usual."
    if left == 1:
        said += " 1 question here has no usual and is left for you to answer."
    elif left:
        said += f" {left} questions here have no usual and are left for you to answer."
    return f"{said} Change anything that is different today."


def filled_all_message(*, filled: int, left=(), whose: str = "your", kept_yes=False) -> str:
    """What the whole form's "as usual" did, exactly: every question with a usual
    filled with it, every warning sign answered No (a Yes already given is kept),
    the temperature left blank. `left`: the items with no usual recorded, named.

    The page's script shows these same words (the button carries them), so that
    with and without JavaScript the patient reads the same thing."""
    warnings = (
        "No to the other warning signs (the Yes already given is kept)"
        if kept_yes
        else "No to every warning sign"
    )
    if left:
        answers = "1 answer" if filled == 1 else f"{filled} answers"
        said = (
            f"Filled in {answers} with {whose} usual and {warnings}. "
            f"No usual is recorded for these, so they are left for you to answer: "
            f"{names_of(left)}."
        )
    else:
        said = f"Filled in every answer with {whose} usual and {warnings}."
    return (
        f"{said} The temperature is left blank: add it if you have taken it. "
        "Change anything that is different today, then send."
    )


class Area(LayoutObject):
    """One body area of the check-in (or of the baseline): a headed section of
    questions, with its "as usual" button on the check-in."""

    template = "patients/widgets/area.html"

    def __init__(self, title, *fields, can_fill=False, filled=None):
        self.fields = list(fields)
        self.slug = slugify(title)  # from the British wording: the same in every language
        self.title = _(title)
        self.can_fill = can_fill
        self.filled = filled  # what "as usual" just did here, said in words
        self.warning = title == WARNING
        # Once every question here is answered by "as usual", static/js/check_in.js
        # folds the area to this line, with a button that shows the questions again.
        names = [n for f in self.fields for n in getattr(f, "fields", [f])]
        self.foldable = can_fill or self.warning
        if self.warning:
            self.fold_text = f"Answered No to all {len(names)} warning signs."
        elif "temperature_c" in names:
            self.fold_text = "Answered as usual. Temperature not taken."
        else:
            self.fold_text = "Answered as usual."

    def render(self, form, context, template_pack=None, **kwargs):
        """The area's HTML. A form not sent yet draws the same HTML for the same usual
        answers, names and language, so that HTML is kept (_RENDERED) and reused:
        most of the check-in page's cost was drawing its 27 questions."""
        key = self._key(form) if not form.is_bound else None
        if key is not None and (html := _RENDERED.get(key)) is not None:
            return html
        fields = self.get_rendered_fields(form, context, template_pack, **kwargs)
        # Rendered without the request's context: what the template needs is passed in.
        html = render_to_string(
            self.template,
            {
                "area": self,
                "fields": fields,
                "who": getattr(form, "who", None),
                "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
            },
        )
        if key is not None:
            if len(_RENDERED) >= _RENDERED_MAX:
                _RENDERED.clear()
            _RENDERED[key] = html
        return html

    def _key(self, form) -> tuple:
        """Everything the area's HTML depends on, for a form not sent yet: the area,
        the names, the language, and each question's wording, usual, unit and value."""
        questions = []
        for layout_field in self.fields:
            for name in getattr(layout_field, "fields", [layout_field]):
                field = form.fields[name]
                questions.append(
                    (
                        name,
                        getattr(layout_field, "template", None),
                        str(field.label),
                        str(field.help_text),
                        repr(getattr(field, "usual", None)),
                        getattr(field, "unit", None),
                        repr(form[name].value()),
                    )
                )
        return (
            type(form).__name__,
            form.prefix,
            form.auto_id,
            self.slug,
            str(self.title),
            self.can_fill,
            self.filled,
            getattr(form, "who", None),
            settings.EMERGENCY_NUMBER,
            translation.get_language(),
            tuple(questions),
        )


# Areas drawn for forms not sent yet (Area.render), by what they depend on; cleared
# when full. A handful of usual answers and languages cover most patients.
_RENDERED: dict[tuple, str] = {}
_RENDERED_MAX = 2000


def usual_left(baseline) -> list[Item]:
    """The items a recorded usual leaves blank (a usual recorded before every item was
    required): the engine compares them with none (REFERENCE.md), "as usual" cannot
    fill them, and the patient is asked to complete it."""
    if baseline is None:
        return []
    return [item for item in BASELINE_ITEMS if getattr(baseline, item.key, None) is None]


def names_of(items) -> str:
    """Questions named in plain words, in form order: 'Feeling sick (nausea), Rash'."""
    return ", ".join(plain_name(item) for item in items)


def _required_message(item: Item) -> str:
    """What to do about a question of the usual left blank: none is an answer too."""
    if item.kind == SCORE:
        return f"Choose an answer: “{item.choices[0]}” if you do not usually have it."
    if item.kind == COUNT:
        return "Enter how many times on a typical day, for example 1."
    return "Enter a number from 0 to 10."


class BaselineForm(forms.Form):
    """How the patient feels normally, before or at the start of treatment.

    The same large choices, grouped by body area, as the check-in; no "as usual",
    and the questions about the last 24 hours asked about a typical day instead.
    Every question needs an answer ("None" is one), so that "none" and "not
    answered" never look alike and "as usual" can fill in every answer.
    """

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        for item in BASELINE_ITEMS:
            field = answer_field(item, label=BASELINE_QUESTIONS.get(item.key))
            field.required = True
            field.error_messages["required"] = _required_message(item)
            if current is not None:
                field.initial = getattr(current, item.key)
            self.fields[item.key] = field

    @cached_property
    def helper(self) -> FormHelper:
        """The layout, built only when the form is drawn (not to validate a POST)."""
        areas = []
        for area in AREAS:
            keys = [item.key for item in BASELINE_ITEMS if item.area == area]
            if keys:
                widgets = [
                    Field(key, template=_WIDGETS[self.fields[key].item.kind]) for key in keys
                ]
                areas.append(Area(area, *widgets))
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(*areas, Submit("save", "Save my usual", css_class="btn-lg w-100"))
        return helper

    def clean(self):
        cleaned = super().clean()
        blank = [
            item
            for item in BASELINE_ITEMS
            if any(e.code == "required" for e in self.errors.as_data().get(item.key, []))
        ]
        if blank:
            questions = "1 question is" if len(blank) == 1 else f"{len(blank)} questions are"
            raise forms.ValidationError(
                f"{questions} not answered yet. Please answer every question: "
                "if you do not usually have a symptom, choose “None” (or "
                "“Never”): it is an answer too."
            )
        return cleaned

    def values(self) -> dict:
        return {item.key: self.cleaned_data.get(item.key) for item in BASELINE_ITEMS}


def as_usual_request(data) -> str | None:
    """The area slug (or "all") whose "as usual" button sent the form, if one did."""
    for key in data:
        slug = key.removeprefix(AS_USUAL)
        if key.startswith(AS_USUAL) and (slug == ALL_AREAS or slug in AREA_SLUGS):
            return slug
    return None


def usual_filled_form(data, *, baseline, who=None) -> "CheckInForm | None":
    """Without JavaScript: the posted answers shown again, filled with the usual.

    A body area's button fills that area's items that have a recorded usual. The
    whole form's button fills every item that has one and answers every warning
    sign No, keeping a Yes already given; the temperature is never filled. Nothing
    is validated or saved: the patient reads the answers, changes any, and sends.
    """
    slug = as_usual_request(data)
    if slug is None:
        return None
    initial = {
        key: value
        for key, value in data.items()
        if not key.startswith(AS_USUAL) and key != "csrfmiddlewaretoken"
    }
    for item in BASELINE_ITEMS:
        value = getattr(baseline, item.key, None)
        if value is not None and slug in (ALL_AREAS, slugify(item.area)):
            initial[item.key] = value
    kept_yes = False
    if slug == ALL_AREAS:
        for item in ITEMS:
            if item.kind == YESNO:
                kept_yes |= initial.get(item.key) == "yes"
                if initial.get(item.key) != "yes":
                    initial[item.key] = "no"
    return CheckInForm(initial=initial, baseline=baseline, filled=slug, who=who, kept_yes=kept_yes)


def default_temperature_unit() -> str:
    """°F first for American English, °C otherwise."""
    return "F" if translation.get_language() == "en-us" else "C"


class LazyBoundField(forms.BoundField):
    """A BoundField that works out its names, label and help text when first asked
    (Django works them all out as the form is validated, for each of a check-in's
    34 fields, though a form that is sent and valid draws none of them)."""

    def __init__(self, form, field, name):
        self.form, self.field, self.name = form, field, name
        self.renderer = form.renderer

    @cached_property
    def html_name(self):
        return self.form.add_prefix(self.name)

    @cached_property
    def html_initial_name(self):
        return self.form.add_initial_prefix(self.name)

    @cached_property
    def html_initial_id(self):
        return self.form.add_initial_prefix(self.auto_id)

    @cached_property
    def label(self):
        return pretty_name(self.name) if self.field.label is None else self.field.label

    @cached_property
    def help_text(self):
        return self.field.help_text or ""


class CheckInForm(forms.Form):
    bound_field_class = LazyBoundField
    form_token = forms.UUIDField(widget=forms.HiddenInput)
    free_text = forms.CharField(
        label="Anything else you are struggling with?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=too_long("this"),
    )
    new_medicines = forms.CharField(
        label="Have you taken any new medicines since your last check-in? Which?",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=too_long("this"),
        help_text=_(
            "Please do not start new medicines (such as anti-diarrhoea tablets) "
            "before speaking to your team."
        ),
    )

    def __init__(self, *args, baseline=None, filled=None, who=None, kept_yes=False, **kwargs):
        """`filled`: the area just filled with the usual, or "all" (no JavaScript),
        `kept_yes` when a warning sign was Yes already; `who`: the patient's first
        name when a carer checks in for them."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4())
        self.who = who
        self.whose = f"{who}'s" if who else "your"
        # A form sent (bound) shares its answer fields, copied only if it is drawn
        # (`helper`): validating changes no field, but drawing does (crispy-forms
        # adds classes, "is-invalid" among them, to a field's widget).
        self._shared = set()
        language = translation.get_language()
        for item in ITEMS:
            usual = getattr(baseline, item.key, None) if item.has_baseline else None
            shared = self.is_bound and item.kind != TEMPERATURE  # its unit is this form's
            self.fields[item.key] = answer_field(
                item, usual=usual, whose=self.whose, shared=shared, language=language
            )
            if shared:
                self._shared.add(item.key)
        self.fields = {name: self.fields[name] for name in CHECK_IN_ORDER}
        self.filled = filled
        self.filled_text = ""
        if filled == ALL_AREAS:
            self.filled_text = self.as_usual_said[1 if kept_yes else 0]
        source = self.data if self.is_bound else self.initial
        unit = source.get("temperature_unit") or default_temperature_unit()
        unit = "F" if unit == "F" else "C"
        self.fields["temperature_c"].in_fahrenheit = unit == "F"
        self.fields["temperature_c"].unit = unit

    @cached_property
    def helper(self) -> FormHelper:
        """The layout, built only when the form is drawn (not to validate a POST).

        The note and the Send button follow in templates/patients/check_in.html: the
        button names the patient for a carer, and crispy would render a name in a
        layout object's text as template code."""
        self._own_fields()
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(
            *self._areas(self.filled),
            Area("Anything else", "free_text", "new_medicines"),
            "form_token",
        )
        return helper

    def _own_fields(self) -> None:
        """Copies of the shared fields, before the form is drawn (crispy-forms changes
        the widgets it draws), and bound fields made from them."""
        for key in self._shared:
            self.fields[key] = copy.deepcopy(self.fields[key])
        self._shared = set()
        self._bound_fields_cache.clear()

    def _areas(self, filled) -> list[Area]:
        areas = []
        for area in CHECK_IN_AREAS:
            keys = [item.key for item in ITEMS if item.area == area]
            with_usual = sum(self.fields[key].usual is not None for key in keys)
            fields = [Field(key, template=_WIDGETS[self.fields[key].item.kind]) for key in keys]
            said = None
            if filled == slugify(area):
                said = filled_message(with_usual, len(keys) - with_usual, whose=self.whose)
            areas.append(Area(area, *fields, can_fill=with_usual > 0, filled=said))
        return areas

    @cached_property
    def usual_left(self) -> list[Item]:
        """The items of the usual with no answer recorded (an older, incomplete usual)."""
        return [item for item in BASELINE_ITEMS if self.fields[item.key].usual is None]

    @cached_property
    def as_usual_said(self) -> tuple[str, str]:
        """What the whole form's "as usual" says it did: with no warning sign Yes yet,
        and with one Yes kept (the page's script shows whichever is true)."""
        left = self.usual_left
        filled = len(BASELINE_ITEMS) - len(left)
        return (
            filled_all_message(filled=filled, left=left, whose=self.whose),
            filled_all_message(filled=filled, left=left, whose=self.whose, kept_yes=True),
        )

    @property
    def can_fill(self) -> bool:
        return any(self.fields[item.key].usual is not None for item in BASELINE_ITEMS)

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
