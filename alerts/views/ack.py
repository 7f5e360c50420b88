"""The acknowledge link in an alert: signed, expiring, single-use.

After login it lands on the flag, with Acknowledge one tap away. A link that is
not valid, has expired or was used already says so and changes nothing; a
clinician of another team gets a 404 and does not use the link up.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from patients import audit
from patients.access import for_clinician
from patients.models import Flag

from ..messages import read_ack_token
from ..models import Notification


@login_required
def ack_link(request, token):
    try:
        notification_id = read_ack_token(token)
    except signing.SignatureExpired:
        return _problem(request, "This link has expired.", status=410)
    except signing.BadSignature:
        raise Http404("This link is not valid.") from None
    notification = (
        for_clinician(Notification.objects.all(), request.user, patient="alert__check_in__patient")
        .filter(pk=notification_id)
        .select_related("alert__check_in")
        .first()
    )
    if notification is None:
        raise Http404("This alert is not for your teams.")
    flag = _landing_flag(notification.alert.check_in_id)
    with transaction.atomic():
        used = Notification.objects.filter(pk=notification.pk, link_used_at__isnull=True).update(
            link_used_at=timezone.now(), link_used_by=request.user
        )
        if used:
            patient_id = notification.alert.check_in.patient_id
            audit.record(request, "link_used", patient_id, obj=notification, role="clinician")
    if not used:
        return _problem(request, "This link has been used already.", flag=flag, status=410)
    if flag is not None and flag.status == "open":
        messages.info(request, "You came from the alert: acknowledge below to stop escalation.")
    return redirect("alerts:flag", pk=flag.pk) if flag else redirect("alerts:queue")


def _landing_flag(check_in_id):
    """The flag the alert is about: an open alerting one first, the most urgent."""
    flags = Flag.objects.filter(check_in=check_in_id).select_related("episode").most_urgent_first()
    return (
        flags.filter(alerted=True).unseen().first()
        or flags.filter(alerted=True).first()
        or flags.first()
    )


def _problem(request, message, *, flag=None, status):
    return render(
        request, "alerts/ack_problem.html", {"message": message, "flag": flag}, status=status
    )
