from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.db.models import Q

from base.validators import validate_name, validate_names_of

from ..models import Carer


def email_taken(email: str) -> bool:
    User = get_user_model()
    return User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists()


class CarerInviteForm(forms.ModelForm):
    """The patient names someone close and gives their email address."""

    class Meta:
        model = Carer
        fields = ["name", "email"]
        labels = {"name": "Their name", "email": "Their email address"}
        error_messages = {
            "name": {
                "max_length": "Please make the name shorter: at most %(limit_value)d characters."
            }
        }

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        validate_names_of(self, "name")
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields[
            "email"
        ].help_text = (
            f"We email them a link. It works once, for {settings.INVITATION_MAX_AGE_DAYS} days."
        )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = self.patient.user
        if email in {(user.email or "").lower(), user.username.lower()}:
            # The invitation is for the account with this address: the patient's own.
            raise forms.ValidationError("That is your own email address: give theirs.")
        if self.patient.carers.filter(email=email, revoked_at__isnull=True).exists():
            raise forms.ValidationError(
                "You have already invited this person. Use “Send again” below if the "
                "email did not arrive."
            )
        return email


class CarerAccountForm(forms.Form):
    """A new carer sets their name and password; their email is the invitation's."""

    name = forms.CharField(label="Your name", max_length=100, validators=[validate_name])
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="The same password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, carer: Carer, **kwargs):
        super().__init__(*args, **kwargs)
        self.carer = carer
        self.fields["name"].initial = carer.name

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords are not the same.")
        elif p1:
            User = get_user_model()
            probe = User(username=self.carer.email, email=self.carer.email)
            probe.first_name = cleaned.get("name", "")
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def create_user(self):
        User = get_user_model()
        first, _, last = self.cleaned_data["name"].strip().partition(" ")
        user = User(username=self.carer.email, email=self.carer.email, first_name=first[:150])
        user.last_name = last[:150]
        user.set_password(self.cleaned_data["password1"])
        user.save()
        return user
