"""Enrolment in clinic: the forms a nurse fills in with the patient (alerts/views/enrolment.py).

One page, four parts, each its own form with a prefix: the patient and their team
(`PatientDetailsForm`), the treatment (`TreatmentForm`, the model's own rules), the
usual taken in clinic (`patients.forms.check_in.BaselineForm`, the patient's own
questions, when the nurse chooses to record it now) and up to two carers
(`CarerForm`). `EnrolmentForms` holds them and lists every problem for the summary
at the top.
"""

import uuid
import zoneinfo

from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from base.validators import validate_name
from clinical.catalogue import BASELINE_ITEMS
from patients.access import teams_of
from patients.forms.check_in import BaselineForm
from patients.forms.reminders import tidy_mobile_number
from patients.models import Patient, Treatment

CARERS = 2  # carers a nurse may invite at enrolment; the patient invites more at home
RECORD_NOW, AT_FIRST_VISIT = "now", "later"
HOSPITAL_NUMBER_TAKEN = (
    "A patient with this hospital number is already enrolled, perhaps with another team. "
    "Check the number, find the patient in the triage queue, or ask the other teams."
)
EMAIL_TAKEN = "This email address already belongs to an account. Check it, or leave it empty."
MOBILE_TAKEN = "Another patient already uses this mobile number. Check it, or leave it empty."


def _required(message: str) -> dict:
    return {"required": message}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def email_in_use(email: str) -> bool:
    """Whether an account already has this address as its username or email."""
    User = get_user_model()
    return User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists()


class PatientDetailsForm(forms.Form):
    """Who the patient is, how to reach them, and their care team."""

    form_token = forms.UUIDField(widget=forms.HiddenInput)
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        validators=[validate_name],
        error_messages=_required("Enter the patient's first name."),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        validators=[validate_name],
        error_messages=_required("Enter the patient's last name."),
    )
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        max_length=150,  # it becomes User.username (at most 150)
        help_text="We email the invitation to set a password here. Without one, the patient "
        "uses the link or QR code on the welcome letter. It becomes their username.",
        error_messages={
            "invalid": "Enter an email address like name@example.org.",
            "max_length": "This address is too long to be a username (at most 150 "
            "characters, it has %(show_value)d). Leave it empty: the patient uses the "
            "welcome letter's link.",
        },
    )
    hospital_number = forms.CharField(
        label="Hospital number",
        max_length=32,
        error_messages=_required("Enter the patient's hospital number."),
    )
    date_of_birth = forms.DateField(
        label="Date of birth (optional)",
        required=False,
        widget=_date_input(),
        error_messages={"invalid": "Enter the date of birth as a date, for example 1958-03-21."},
    )
    time_zone = forms.CharField(
        label="Time zone (optional)",
        required=False,
        max_length=64,
        help_text="Leave empty for the care team's. A name such as Europe/London.",
    )
    mobile_number = forms.CharField(
        label="Mobile number (optional)",
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text="International format, for example +447700900123.",
    )
    sms_check_ins = forms.BooleanField(
        label="SMS check-ins: text the daily reminder and take check-ins by SMS reply",
        required=False,
        help_text="Needs a mobile number.",
    )
    care_team = forms.ModelChoiceField(
        label="Care team",
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the patient's care team.",
            "invalid_choice": "Choose one of your own care teams.",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = teams_of(user).order_by("name")
        self.fields["care_team"].queryset = teams
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4())
            only = list(teams[:2])
            if len(only) == 1:
                self.initial["care_team"] = only[0].pk
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email and email_in_use(email):
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def clean_hospital_number(self):
        number = self.cleaned_data["hospital_number"].strip()
        if not number:
            raise forms.ValidationError("Enter the patient's hospital number.")
        if Patient.objects.filter(hospital_number__iexact=number).exists():
            raise forms.ValidationError(HOSPITAL_NUMBER_TAKEN)
        return number

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born and born > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if born and born.year < 1900:
            raise forms.ValidationError("Check the year of birth: it is before 1900.")
        return born

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip()
        if name and name not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                "Enter a time zone name such as Europe/London, or leave it empty."
            )
        return name

    def clean_mobile_number(self):
        number = tidy_mobile_number(
            self.cleaned_data["mobile_number"],
            "Enter the mobile number in international format, starting with + and the "
            "country code, for example +447700900123.",
        )
        if not number:
            return ""
        if Patient.objects.filter(mobile_number=number).exists():
            raise forms.ValidationError(MOBILE_TAKEN)
        return number

    def clean(self):
        cleaned = super().clean()
        sms, mobile = cleaned.get("sms_check_ins"), cleaned.get("mobile_number")
        if sms and not mobile and "mobile_number" not in self.errors:
            self.add_error(
                "mobile_number", "SMS check-ins need a mobile number: enter one, or untick them."
            )
        number, email = cleaned.get("hospital_number"), cleaned.get("email")
        # Without an email address, the hospital number becomes the username.
        if (
            number
            and not email
            and "email" not in self.errors
            and get_user_model().objects.filter(username__iexact=number).exists()
        ):
            self.add_error(
                "email",
                "Enter the patient's email address: it becomes their username (an "
                "account already has the hospital number as its username).",
            )
        team = cleaned.get("care_team")
        if team is not None and not cleaned.get("time_zone"):
            cleaned["time_zone"] = team.time_zone
        return cleaned


class TreatmentForm(forms.ModelForm):
    """The current treatment, with the model's own rules (Treatment.clean)."""

    class Meta:
        model = Treatment
        fields = [
            "kind",
            "medicines",
            "with_chemotherapy",
            "status",
            "start_date",
            "schedule",
            "last_dose_date",
            "next_dose_date",
            "steroids",
        ]
        labels = {
            "kind": "Kind of treatment",
            "with_chemotherapy": "Given with chemotherapy",
            "start_date": "Start date",
            "schedule": "Schedule (optional)",
            "last_dose_date": "Last dose (optional)",
            "next_dose_date": "Next dose (optional)",
            "steroids": "Steroids (optional)",
        }
        widgets = {
            "start_date": _date_input(),
            "last_dose_date": _date_input(),
            "next_dose_date": _date_input(),
        }
        error_messages = {
            "kind": _required("Choose the kind of treatment."),
            "medicines": _required("Enter the medicines, for example pembrolizumab."),
            "start_date": {
                **_required("Enter the date treatment started."),
                "invalid": "Enter the start as a date.",
            },
            "last_dose_date": {"invalid": "Enter the last dose as a date."},
            "next_dose_date": {"invalid": "Enter the next dose as a date."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Choose…"), *Treatment.KIND_CHOICES]


class CarerForm(forms.Form):
    """Someone close to the patient, invited by email to see their advice and check in
    for them (as the patient's own invitations from "People who help me")."""

    name = forms.CharField(
        label="Their name", max_length=100, required=False, validators=[validate_name]
    )
    email = forms.EmailField(
        label="Their email address",
        required=False,
        max_length=254,  # Carer.email's
        error_messages={
            "invalid": "Enter an email address like name@example.org.",
            "max_length": "Enter an email address of at most 254 characters (it has "
            "%(show_value)d).",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean(self):
        cleaned = super().clean()
        name, email = cleaned.get("name", "").strip(), cleaned.get("email", "").strip().lower()
        cleaned["name"], cleaned["email"] = name, email
        if name and not email and "email" not in self.errors:
            self.add_error("email", "Enter their email address: the invitation is emailed.")
        if email and not name and "name" not in self.errors:
            self.add_error("name", "Enter their name.")
        return cleaned

    @property
    def invited(self) -> bool:
        return bool(self.cleaned_data.get("email"))


class ClinicBaselineForm(BaselineForm):
    """The patient's own usual, asked in clinic: the same questions and rules, sent with
    the rest of the enrolment page (no button of its own)."""

    @cached_property
    def helper(self):
        helper = BaselineForm.helper.func(self)
        helper.layout.fields = [f for f in helper.layout.fields if not isinstance(f, Submit)]
        return helper


class UsualChoiceForm(forms.Form):
    usual = forms.ChoiceField(
        label="The patient's usual (baseline)",
        choices=[
            (RECORD_NOW, "Record the usual now, with the patient"),
            (AT_FIRST_VISIT, "The patient will record it at their first visit"),
        ],
        widget=forms.RadioSelect,
        initial=RECORD_NOW,
        error_messages={
            "required": "Choose whether to record the usual now.",
            "invalid_choice": "Choose whether to record the usual now.",
        },
    )


class EnrolmentForms:
    """Every part of the enrolment page, bound together; valid when every part is."""

    def __init__(self, data=None, *, user):
        self.details = PatientDetailsForm(data, user=user, prefix="patient")
        self.treatment = TreatmentForm(data, prefix="treatment")
        self.choice = UsualChoiceForm(data, prefix="usual")
        self.baseline = ClinicBaselineForm(data, prefix="baseline")
        self.carers = [CarerForm(data, prefix=f"carer{n}") for n in range(1, CARERS + 1)]
        self.is_bound = data is not None
        if self.is_bound and not self.record_usual:
            # Left for the first visit: shown again as typed, never judged.
            typed = {i.key: data.get(f"baseline-{i.key}") for i in BASELINE_ITEMS}
            self.baseline = ClinicBaselineForm(initial=typed, prefix="baseline")

    @property
    def record_usual(self) -> bool:
        if not self.is_bound:
            return True
        return self.choice.is_valid() and self.choice.cleaned_data["usual"] == RECORD_NOW

    def parts(self) -> list[forms.Form]:
        parts = [self.details, self.treatment, self.choice]
        if self.record_usual:
            parts.append(self.baseline)
        return [*parts, *self.carers]

    def is_valid(self) -> bool:
        valid = all([part.is_valid() for part in self.parts()])  # every part validated
        return self._carers_apart() and valid

    def _carers_apart(self) -> bool:
        """Two carers are two people, neither of them the patient."""
        own = (self.details.cleaned_data.get("email") or "") if self.details.is_bound else ""
        seen = set()
        ok = True
        for form in self.carers:
            email = form.cleaned_data.get("email") if form.is_valid() else ""
            if not email:
                continue
            if own and email == own:
                form.add_error("email", "That is the patient's own address: give the carer's.")
                ok = False
            elif email in seen:
                form.add_error("email", "Both carers have this address: give each their own.")
                ok = False
            seen.add(email)
        return ok

    @property
    def errors(self) -> list[tuple[str, str, str]]:
        """Every problem, in page order: (the field's id or "", its label, the message)."""
        listed = []
        for part in self.parts():
            if not part.is_bound:
                continue
            for message in part.non_field_errors():
                listed.append(("", "", message))
            for field in part:
                if field.errors:
                    anchor = field.auto_id
                    if getattr(field.field.widget, "input_type", "") == "radio":
                        anchor += "_0"
                    listed.append((anchor, self._label(part, field), field.errors[0]))
        return listed

    def _label(self, part, field) -> str:
        label = str(field.label)
        if isinstance(part, CarerForm):
            return f"Carer {part.prefix.removeprefix('carer')}: {label[:1].lower()}{label[1:]}"
        if isinstance(part, BaselineForm):
            return f"Usual: {label}"
        return label

    def invited_carers(self) -> list[dict]:
        return [
            {"name": f.cleaned_data["name"], "email": f.cleaned_data["email"]}
            for f in self.carers
            if f.invited
        ]
