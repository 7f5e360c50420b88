"""A patient's reminder settings, and the stop link in every reminder email."""

from django.contrib import messages
from django.shortcuts import redirect, render

from ..access import patient_required
from ..forms.reminders import ReminderForm
from ..models import Patient
from ..services.reminders import patient_for_stop_token
from ..services.sms import sms_card_context


@patient_required
def reminder_settings(request, patient):
    form = ReminderForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        form.save()
        by = "text message" if patient.sms_check_ins else "email"
        if patient.reminders:
            messages.success(
                request,
                f"Saved: a reminder by {by} at {patient.reminder_time:%H:%M} on days without "
                "a check-in.",
            )
        else:
            messages.success(request, f"Saved: no more reminder {by}s.")
        if patient.sms_check_ins:
            messages.info(request, "You can check in by replying to a text: print your SMS card.")
        return redirect("patients:reminders")
    return render(request, "patients/reminders.html", {"form": form, "patient": patient})


def stop_reminders(request, token):
    """From the email, no login needed: a GET shows one button; the POST stops them."""
    patient = patient_for_stop_token(token)
    if patient is None:
        return render(request, "patients/stop_reminders.html", {"invalid": True}, status=404)
    if request.method == "POST":
        Patient.objects.filter(pk=patient.pk).update(reminders=False)
        return render(request, "patients/stop_reminders.html", {"stopped": True})
    return render(request, "patients/stop_reminders.html", {"patient": patient})


@patient_required
def sms_card(request, patient):
    """The patient's SMS card, printable on one page: how to reply, every code."""
    return render(request, "patients/sms_card.html", sms_card_context(patient))
