"""The SMS provider's webhook, where each reply a patient texts is POSTed; and a
patient's SMS card, printed by their team.

Twilio's form (From, To, Body, MessageSid), signed with X-Twilio-Signature over
settings.SMS_INBOUND_URL. A request without a valid signature is refused (403)
before anything is read or saved. The answer texted back is the TwiML response
(patients.services.sms decides it: advice, help, or nothing), so that a warning
sign is answered within the request, never behind a worker.
"""

from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from patients import audit
from patients.access import clinician_required, get_patient_for_clinician
from patients.services.sms import receive_sms_reply, sms_card_context

from ..channels.sms import signature_valid
from ..services.enrolment import text_confirmation_code


@csrf_exempt  # the provider has no session; the signature stands for the token
@never_cache
@require_POST
def inbound(request):
    params = {name: values for name, values in request.POST.lists()}
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature_valid(settings.SMS_INBOUND_URL, params, signature, settings.SMS_TOKEN):
        return HttpResponseForbidden("Not signed by the SMS provider.", content_type="text/plain")
    answer = receive_sms_reply(
        sender=request.POST.get("From", "").strip(),
        body=request.POST.get("Body", ""),
        message_sid=request.POST.get("MessageSid", "").strip()[:64],
    )
    return twiml(answer)


def twiml(answer: str) -> HttpResponse:
    """The TwiML that texts `answer` back to the sender, or nothing for ""."""
    message = f"<Message>{escape(answer)}</Message>" if answer else ""
    return HttpResponse(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>',
        content_type="text/xml; charset=utf-8",
    )


@clinician_required
def patient_sms_card(request, pk):
    """A patient's SMS card, printed by their team (404 for anyone else's patient),
    audited as the patient's page is: the same template as the patient's own."""
    patient = get_patient_for_clinician(request.user, pk)
    audit.record(request, "viewed", patient, obj=patient, role="clinician", detail="SMS card")
    context = sms_card_context(patient)
    context["back"] = reverse("alerts:patient", args=[patient.pk])
    context["back_words"] = f"Back to {patient.name}'s page"
    return render(request, "patients/sms_card.html", context)


@clinician_required
@require_POST
def text_code_again(request, pk):
    """Text the patient's number a new confirmation code (within its day's limit),
    for a patient who missed the first: from their page, by their team."""
    patient = get_patient_for_clinician(request.user, pk)
    said, sent = text_confirmation_code(patient)
    if not said:
        messages.info(request, f"{patient.name}'s number needs no code now.")
    elif sent:
        audit.record(
            request, "changed", patient, obj=patient, role="clinician", detail="SMS code texted"
        )
        messages.success(request, said)
    else:
        messages.error(request, said)
    return redirect("alerts:patient", pk=patient.pk)
