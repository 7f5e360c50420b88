import re

from django import forms

from ..models import Patient
from ..services.sms_confirmation import clear_confirmation

# Spaces, dashes, dots and brackets people type in a phone number, dropped.
_PUNCTUATION = re.compile(r"[\s\-.()]")
_INTERNATIONAL = re.compile(r"^\+[1-9][0-9]{7,14}$")
BAD_NUMBER = (
    "Enter your mobile number with your country code, starting with +, "
    "for example +447700900123 (for a UK number 07700 900123)."
)
NUMBER_TAKEN = (
    "This number cannot be used. Check that it is your own mobile number, or ask your care team."
)


def tidy_mobile_number(text: str | None, message: str) -> str:
    """A mobile number as the SMS provider writes it (+ and digits; "" for none):
    spaces, dashes, dots and brackets dropped, 00 read as +; ValidationError(message)
    for anything else. The patient's reminders page and enrolment in clinic both
    take numbers through it."""
    number = _PUNCTUATION.sub("", text or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    if number and not _INTERNATIONAL.match(number):
        raise forms.ValidationError(message, code="invalid")
    return number


SMS_NEEDS_NUMBER = "To check in by text message, enter your mobile number."


class ReminderForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["reminders", "reminder_time", "mobile_number", "sms_check_ins"]
        widgets = {
            "reminder_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "mobile_number": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }
        labels = {
            "mobile_number": "Your mobile number",
            "sms_check_ins": "Text me the reminder, and let me check in by replying to it",
        }
        help_texts = {
            "mobile_number": "With your country code, for example +447700900123. Leave it "
            "empty if you do not want text messages.",
            "sms_check_ins": "For a phone without internet. Your reply uses the short codes "
            "on your SMS card.",
        }
        # Plain words, saying what to type: Django's "This field is required." does not.
        error_messages = {
            "reminder_time": {
                "required": "Choose the time for your reminder, for example 18:00.",
                "invalid": "Enter a valid time. Type it as hours and minutes, for example 18:30.",
            }
        }

    def clean_mobile_number(self):
        """A number another patient uses cannot be used; whose it is, is never said."""
        number = tidy_mobile_number(self.cleaned_data.get("mobile_number"), BAD_NUMBER)
        if not number:
            return ""
        if Patient.objects.filter(mobile_number=number).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(NUMBER_TAKEN, code="taken")
        return number

    def _get_validation_exclusions(self):
        """The model's constraints on the number (one patient each; SMS needs one) are
        checked above, in words a patient reads, so the model does not check them again
        (its generic messages, and a query, for every save of a reminder time)."""
        return {*super()._get_validation_exclusions(), "mobile_number", "sms_check_ins"}

    def save(self, commit=True):
        """A new number (or none) is not confirmed: its confirmation and code go."""
        if "mobile_number" in self.changed_data:
            clear_confirmation(self.instance)
        return super().save(commit)

    def clean(self):
        cleaned = super().clean()
        wanted = cleaned.get("sms_check_ins") and not cleaned.get("mobile_number")
        if wanted and "mobile_number" not in self.errors:
            self.add_error("mobile_number", SMS_NEEDS_NUMBER)
        return cleaned
