"""The outbox sweep, every minute from beat: what a broker or a worker lost is queued
again, and what waited for a contact's hours is queued when they come on duty."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from base.tasks import queue_after_commit
from patients.models import CheckIn, Flag

from ..models import DeliveryAttempt, Notification
from .delivery import STALE_SENDING, queue_for, queue_notifications
from .flagging import flag_check_in, raise_alert

# A check-in not evaluated after this long lost its task (broker down): queue it again.
STALE_EVALUATION = timedelta(minutes=2)
# How far back the sweep looks for check-ins still owed an alert.
ALERT_OWED_FOR = timedelta(days=14)


def send_due_notifications(*, now=None) -> int:
    """The outbox sweep: queue what is due and what a broker or a worker lost.

    - queued notifications due now, never handed to the broker or handed long ago;
    - 'sending' ones whose attempt never finished (the worker died): queued again;
    - check-ins never evaluated (their task was lost): evaluation queued again;
    - check-ins owed an alert that could not be routed (a broken contact list).
    """
    now = now or timezone.now()
    requeue_before = now - timedelta(seconds=settings.NOTIFICATION_REQUEUE_AFTER_SECONDS)
    with transaction.atomic():
        stale = Notification.objects.filter(status="sending", claimed_at__lt=now - STALE_SENDING)
        DeliveryAttempt.objects.filter(notification__in=stale, finished_at__isnull=True).update(
            finished_at=now, ok=False, error="no outcome: the worker was lost"
        )
        stale.update(status="queued", queued_at=None)
        due = (
            Notification.objects.filter(status="queued", not_before__lte=now)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=requeue_before))
            .values_list("pk", "alert__urgency")
        )
        by_urgency = defaultdict(list)
        for pk, urgency in due:
            by_urgency[urgency].append(pk)
        for urgency, ids in by_urgency.items():  # each on its urgency's queue
            queue_notifications(ids, urgency=urgency, now=now)
        lost = CheckIn.objects.filter(
            evaluated_at__isnull=True, submitted_at__lt=now - STALE_EVALUATION
        ).values_list("pk", "urgency")
        for pk, urgency in lost:
            queue_after_commit(flag_check_in, pk, queue=queue_for(urgency))
    unseen = Flag.objects.filter(check_in=OuterRef("pk"), alerted=True).unseen()
    owed = CheckIn.objects.filter(
        Exists(unseen),
        evaluated_at__isnull=False,
        alert__isnull=True,
        submitted_at__gte=now - ALERT_OWED_FOR,
    )
    for check_in in owed.select_related("patient__care_team", "patient__user"):
        try:
            with transaction.atomic():
                raise_alert(check_in, now=now)
        except IntegrityError:
            pass  # another sweep raised it a moment ago
    return sum(len(ids) for ids in by_urgency.values())
