"""Escalation: an urgent alert nobody acknowledged in its window (ESCALATE_AFTER:
red 15 minutes, amber 4 hours) goes to the next contact on duty in the chain."""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinical.routing import ESCALATE_AFTER, next_in_chain
from clinical.urgency import routed_as
from patients.models import Contact

from ..models import Alert
from .delivery import notify

log = logging.getLogger(__name__)


def escalate_overdue_alerts(*, now=None) -> int:
    """Move each unacknowledged alert past its window to the next contact on duty.

    Returns how many alerts moved. An alert with nobody further on duty stays
    with its contact (and in the triage queue) and is looked at again after
    another window, in case someone has come on duty.
    """
    now = now or timezone.now()
    moved = 0
    overdue = Alert.objects.unanswered().filter(escalate_at__lte=now)
    for alert in overdue.select_related("contact", "check_in__patient__care_team"):
        try:
            moved += _escalate(alert, now)
        except Exception:  # one alert's trouble must not hold up every other escalation
            log.exception("alert %s: escalation failed; retried at the next run", alert.pk)
    return moved


def _escalate(alert: Alert, now) -> int:
    """Move one overdue alert a step down its chain (claimed once); 1 if it moved."""
    team = alert.check_in.patient.care_team
    following = next_in_chain(
        team.contact_specs(), alert.urgency, alert.contact.order, now, team.tz
    )
    window = ESCALATE_AFTER[routed_as(alert.urgency)]
    with transaction.atomic():
        claimed = (
            Alert.objects.unanswered()
            .filter(pk=alert.pk, escalate_at=alert.escalate_at)
            .update(
                level=F("level") + 1 if following else F("level"),
                contact_id=following.ref if following else alert.contact_id,
                escalate_at=now + window,
            )
        )
        if not claimed or following is None:
            return 0
        alert.refresh_from_db()
        notify(alert, Contact.objects.get(pk=following.ref), now, now)
        return 1
