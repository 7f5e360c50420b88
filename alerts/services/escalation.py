"""Escalation: an urgent alert nobody acknowledged in its window (ESCALATE_AFTER:
red 15 minutes, amber 4 hours) goes to the next contact on duty in the chain."""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinical.routing import ESCALATE_AFTER, next_in_chain
from clinical.urgency import routed_as
from patients.models import Contact, Episode, Flag

from ..models import Alert
from .delivery import notify

log = logging.getLogger(__name__)


def escalate_overdue_alerts(*, now=None) -> int:
    """Move each unanswered alert past its window to the next contact on duty.

    Returns how many alerts moved. An alert with nobody further on duty stays
    with its contact (and in the triage queue) and is looked at again after
    another window, in case someone has come on duty. An alert answered since
    has nothing more due: its `escalate_at` is cleared, so each run reads only
    the alerts still due.
    """
    now = now or timezone.now()
    moved = 0
    overdue = Alert.objects.filter(escalate_at__lte=now)
    for alert in overdue.select_related("contact", "check_in__patient__care_team"):
        try:
            moved += _escalate(alert, now)
        except Exception:  # one alert's trouble must not hold up every other escalation
            log.exception("alert %s: escalation failed; retried at the next run", alert.pk)
    return moved


def _escalate(alert: Alert, now) -> int:
    """Move one overdue alert a step down its chain (claimed once); 1 if it moved.

    1. Lock the episodes of the flags it raised, as acknowledging locks an episode:
       an acknowledgement is either in, and the alert answered, or waits for this.
    2. Answered: nothing more is due (escalate_at cleared). Else claim the step with
       a conditional update on escalate_at, so that a second run does nothing.
    """
    team = alert.check_in.patient.care_team
    following = next_in_chain(
        team.contact_specs(), alert.urgency, alert.contact.order, now, team.tz
    )
    window = ESCALATE_AFTER[routed_as(alert.urgency)]
    with transaction.atomic():
        raised = Flag.objects.filter(check_in=alert.check_in_id, alerted=True).values("episode")
        list(Episode.objects.select_for_update().filter(pk__in=raised).order_by("pk"))
        mine = Alert.objects.filter(pk=alert.pk, escalate_at=alert.escalate_at)
        if not Alert.objects.unanswered().filter(pk=alert.pk).exists():
            mine.update(escalate_at=None)
            return 0
        claimed = mine.update(
            level=F("level") + 1 if following else F("level"),
            contact_id=following.ref if following else alert.contact_id,
            escalate_at=now + window,
        )
        if not claimed or following is None:
            return 0
        alert.refresh_from_db()
        notify(alert, Contact.objects.get(pk=following.ref), now, now)
        return 1
