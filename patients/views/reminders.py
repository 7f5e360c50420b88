"""A patient's reminder settings, and the stop link in every reminder email."""

from django.contrib import messages
from django.shortcuts import redirect, render

from ..access import patient_required
from ..forms.reminders import ReminderForm
from ..models import Patient
from ..services.reminders import patient_for_stop_token
from ..services.sms import sms_card_context
from ..services.sms_confirmation import awaiting_code, may_send_code, send_code


@patient_required
def reminder_settings(request, patient):
    if request.method == "POST" and "send_code" in request.POST:
        if not awaiting_code(patient):
            messages.info(request, "Your number needs no code now.")
        else:
            _text_code(request, patient)
        return redirect("patients:reminders")
    form = ReminderForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        form.save()
        new = {"mobile_number", "sms_check_ins"} & set(form.changed_data)
        if new and awaiting_code(patient):
            _text_code(request, patient)
        by = "text message" if patient.sms_check_ins else "email"
        once = " once you have replied with the code" if awaiting_code(patient) else ""
        if patient.reminders:
            messages.success(
                request,
                f"Saved: a reminder by {by}{once} at {patient.reminder_time:%H:%M} on days "
                "without a check-in.",
            )
        else:
            messages.success(request, f"Saved: no more reminder {by}s.")
        if patient.sms_check_ins:
            messages.info(request, "You can check in by replying to a text: print your SMS card.")
        return redirect("patients:reminders")
    return render(request, "patients/reminders.html", {"form": form, "patient": patient})


def _text_code(request, patient) -> None:
    """Text the number its code (within the day's limit), and say what happened."""
    if may_send_code(patient):
        messages.error(
            request,
            "No code sent: we have sent several codes today. Please try again tomorrow, "
            "or ask your care team.",
        )
    elif send_code(patient):
        messages.info(
            request,
            f"We texted a code to {patient.mobile_number}. Reply to that text with the code "
            "to start SMS check-ins.",
        )
    else:
        messages.error(
            request,
            "The text with your code could not be sent. Check your number, then choose "
            "“Send the code again”.",
        )


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
