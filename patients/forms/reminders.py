from django import forms

from ..models import Patient


class ReminderForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["reminders", "reminder_time"]
        widgets = {"reminder_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
