from django import forms

from ..models import Patient


class ReminderForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["reminders", "reminder_time"]
        widgets = {"reminder_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        # Plain words, saying what to type: Django's "This field is required." does not.
        error_messages = {
            "reminder_time": {
                "required": "Choose the time for your reminder, for example 18:00.",
                "invalid": "Enter a valid time. Type it as hours and minutes, for example 18:30.",
            }
        }
