"""Flags, alerts, notifications and escalation: the worker's side of the core loop.

Every function takes ids or rows and does one job. Work is claimed with a
conditional UPDATE so that a task delivered twice does nothing the second
time; rows are written in one transaction and tasks queued on its commit; no
network call happens inside a transaction.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from base.tasks import queue_after_commit
from clinical.engine import Evaluation, PastCheckIn, Treatment, evaluate_check_in
from clinical.routing import ESCALATE_AFTER, Route, next_in_chain, route
from clinical.urgency import AMBER, RANK, RED, highest, routed_as
from patients.models import Action, BrokenChannel, CheckIn, Contact, Episode, Flag

from .channels import ChannelError, channel_for
from .messages import alert_message
from .models import Alert, DeliveryAttempt, Notification

log = logging.getLogger(__name__)

# Seconds to wait before each retry of a transient delivery failure; then it fails.
DELIVERY_BACKOFF = (30, 120, 600, 1800, 3600)
# A delivery claimed this long ago with no outcome is taken to have died with its worker.
STALE_SENDING = timedelta(minutes=10)
# Pauses between tries at recording a delivery's outcome after the database
# connection dropped: the provider has the message, so the outcome must not be lost.
RECORD_RETRY_PAUSES = (0.5, 2.0, 5.0)
# A check-in not evaluated after this long lost its task (broker down): queue it again.
STALE_EVALUATION = timedelta(minutes=2)
# How far back the sweep looks for check-ins still owed an alert.
ALERT_OWED_FOR = timedelta(days=14)


def evaluate(check_in: CheckIn) -> Evaluation:
    """Run the engine on a check-in (saved or not) with its baseline and the 2 days before."""
    baseline = check_in.baseline.answers() if check_in.baseline else {}
    day = check_in.local_date
    earlier = CheckIn.objects.filter(
        patient_id=check_in.patient_id,
        local_date__gte=day - timedelta(days=2),
        local_date__lt=day,
    ).select_related("baseline")
    history = [
        PastCheckIn(
            (day - c.local_date).days, c.answers(), c.baseline.answers() if c.baseline else {}
        )
        for c in earlier
    ]
    treatment = check_in.patient.treatment
    context = Treatment(treatment.with_chemotherapy, treatment.status) if treatment else Treatment()
    return evaluate_check_in(check_in.answers(), baseline, history=history, treatment=context)


def route_for(patient, urgency: str, at) -> Route | None:
    """Whom the patient's team alerts (and the patient rings) for `urgency` at `at`.

    A list where nobody can take amber (no contact handles it, or none ever comes
    on duty) routes amber as red rather than to nobody: an alert is never dropped.
    """
    team = patient.care_team
    specs = team.contact_specs()
    chosen = route(specs, urgency, at, team.tz)
    if chosen is None and routed_as(urgency) == AMBER:
        fallback = route(specs, RED, at, team.tz)
        if fallback is not None:
            reason = f"amber: nobody can take amber, so the red route ({fallback.reason})"
            return Route(fallback.contact, fallback.deliver_at, reason)
    return chosen


def flag_check_in(check_in_id: int, *, now=None) -> list[int]:
    """Create a check-in's flags, its alert and the alert's notifications, once.

    1. Claim the check-in (evaluated_at from NULL to now); a second run stops here.
    2. Evaluate it with the engine; write a flag per finding at amber or above,
       and the worker's verdict on the check-in.
    3. Raise its alert (raise_alert).
    Returns the ids of the notifications written.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = CheckIn.objects.filter(pk=check_in_id, evaluated_at__isnull=True).update(
            evaluated_at=now
        )
        if not claimed:
            return []
        check_in = CheckIn.objects.select_related(
            "patient__care_team", "patient__user", "baseline"
        ).get(pk=check_in_id)
        evaluation = evaluate(check_in)
        for finding in evaluation.alerting_findings:
            episode, alerted = _episode_for(check_in.patient, finding, now)
            Flag.objects.create(
                check_in=check_in,
                episode=episode,
                alerted=alerted,
                status="open" if alerted else episode.status,
                symptom=finding.symptom,
                urgency=finding.urgency,
                rule=finding.rule,
                raised_by=",".join(finding.raised_by),
                rule_set=evaluation.rule_set,
                explanation=finding.explanation[:300],
                created_at=now,
            )
        if check_in.urgency != evaluation.urgency:
            check_in.urgency = evaluation.urgency
            check_in.save(update_fields=["urgency"])
        return raise_alert(check_in, now=now)


def _episode_for(patient, finding, now) -> tuple[Episode, bool]:
    """The open episode a finding belongs to, and whether it alerts.

    No open episode for the symptom: a new one, which alerts. An open one at a
    lower urgency: raised (and open again until acknowledged), which alerts. At
    the same or a higher urgency: the finding joins it and alerts nobody.
    """
    episode = (
        Episode.objects.select_for_update()
        .filter(patient=patient, symptom=finding.symptom)
        .exclude(status="resolved")
        .first()
    )
    if episode is None:
        episode = Episode.objects.create(
            patient=patient, symptom=finding.symptom, urgency=finding.urgency, opened_at=now
        )
        return episode, True
    if RANK[finding.urgency] > RANK[episode.urgency]:
        episode.urgency, episode.status = finding.urgency, "open"
        episode.acknowledged_at = episode.acknowledged_by = None
        episode.save(update_fields=["urgency", "status", "acknowledged_at", "acknowledged_by"])
        return episode, True
    return episode, False


def raise_alert(check_in: CheckIn, *, now) -> list[int]:
    """Route an evaluated check-in at amber or above; write its alert and notifications.

    Writes one notification per channel of the routed contact and queues, on
    commit, those due now (an amber alert with nobody on duty waits for the sweep
    at the contact's hours). The alert's urgency is the highest of the flags that
    alert (new or raised episodes); flags that joined an open episode alert
    nobody. Nothing to do without such flags or with an alert already raised.
    When nobody can be routed (a contact list an admin broke), the flags are in
    the queue all the same and the sweep tries again until the list is mended.
    """
    alerting = list(
        check_in.flags.filter(alerted=True, status="open").values_list("urgency", flat=True)
    )
    if not alerting or Alert.objects.filter(check_in=check_in).exists():
        return []
    urgency = highest(alerting)
    chosen = route_for(check_in.patient, urgency, now)
    if chosen is None:
        log.error("no contact to alert for check-in %s (%s)", check_in.pk, urgency)
        return []
    alert = Alert.objects.create(
        check_in=check_in,
        urgency=urgency,
        contact_id=chosen.contact.ref,
        routing_reason=chosen.reason[:200],
        created_at=now,
        escalate_at=chosen.deliver_at + ESCALATE_AFTER[routed_as(urgency)],
    )
    return _notify(alert, Contact.objects.get(pk=chosen.contact.ref), chosen.deliver_at, now)


def _notify(alert: Alert, contact: Contact, not_before, now) -> list[int]:
    """Write a notification per working channel of `contact` (or, with none working,
    of the next contact in the chain) and queue the due ones on commit."""
    while not contact.channels():
        following = _next_contact(alert, after=contact, now=now)
        if following is None:
            log.error("alert %s: no contact left with a working channel", alert.pk)
            return []
        log.warning(
            "alert %s: %s has no working channel; going to %s", alert.pk, contact, following
        )
        contact = following
        Alert.objects.filter(pk=alert.pk).update(contact=contact)
        alert.contact = contact
    told = set(alert.notifications.filter(contact=contact).values_list("channel", flat=True))
    notifications = [
        Notification.objects.create(
            alert=alert,
            contact=contact,
            channel=kind,
            address=address,
            level=alert.level,
            not_before=not_before,
            created_at=now,
        )
        for kind, address in contact.channels()
        if kind not in told  # a contact met again (an order changed) is not told twice
    ]
    ids = [n.pk for n in notifications]
    queue_notifications([n.pk for n in notifications if n.not_before <= now], now=now)
    return ids


def _next_contact(alert: Alert, *, after: Contact, now) -> Contact | None:
    team = alert.check_in.patient.care_team
    spec = next_in_chain(team.contact_specs(), alert.urgency, after.order, now, team.tz)
    return Contact.objects.get(pk=spec.ref) if spec else None


def _fall_through(notification: Notification, now) -> None:
    """After a permanent failure: nothing more while another of the contact's
    channels for this alert is pending or sent; otherwise its untried working
    channels, and failing those the next contact in the chain (on duty, handling
    the urgency), which then holds the alert."""
    alert, contact = Alert.objects.get(pk=notification.alert_id), notification.contact
    if alert.acknowledged_at is not None:
        return
    if alert.contact_id != contact.pk or alert.level > notification.level:
        return  # the alert has moved on (escalated) since this notification was written
    mine = Notification.objects.filter(alert=alert, contact=contact).exclude(pk=notification.pk)
    if mine.exclude(status="failed").exists():
        return
    tried = set(mine.values_list("channel", flat=True)) | {notification.channel}
    if any(kind not in tried for kind, _ in contact.channels()):
        for kind, address in contact.channels():
            if kind not in tried:
                pending = Notification.objects.create(
                    alert=alert,
                    contact=contact,
                    channel=kind,
                    address=address,
                    level=notification.level,
                    created_at=now,
                )
                queue_notifications([pending.pk], now=now)
        return
    following = _next_contact(alert, after=contact, now=now)
    if following is None:
        log.error("alert %s: every channel failed and nobody follows %s", alert.pk, contact)
        return
    Alert.objects.filter(pk=alert.pk).update(
        contact=following,
        level=F("level") + 1,
        escalate_at=now + ESCALATE_AFTER[routed_as(alert.urgency)],
    )
    alert.refresh_from_db()
    _notify(alert, following, now, now)


def queue_notifications(ids: list[int], *, now=None) -> None:
    """Mark the notifications handed to the broker and queue them once the transaction commits."""
    if not ids:
        return
    from . import tasks

    Notification.objects.filter(pk__in=ids).update(queued_at=now or timezone.now())
    for pk in ids:
        queue_after_commit(tasks.deliver_notification, pk)


def deliver_notification(notification_id: int, *, now=None) -> int | None:
    """Deliver one notification; returns seconds until a retry, or None when done.

    1. Claim it (queued and due -> sending); a second run stops here.
    2. Write the attempt row, then call the channel outside any transaction.
    3. Record the outcome: sent; failed (permanent error, or retries used up);
       or queued again with the next backoff delay.
    """
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status="queued", not_before__lte=now
    ).update(status="sending", attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return None
    notification = Notification.objects.select_related(
        "alert__check_in__patient__user", "alert__check_in__patient__care_team", "contact"
    ).get(pk=notification_id)
    attempt = DeliveryAttempt.objects.create(notification=notification, started_at=now)
    try:
        channel_for(notification.channel, notification.contact).deliver(
            notification.address,
            alert_message(notification),
            idempotency_key=f"notification-{notification.pk}",
        )
    except Exception as exc:  # anything else is a transient failure with the same limits
        if not isinstance(exc, ChannelError):
            log.exception("notification %s: unexpected delivery error", notification.pk)
            exc = ChannelError(f"{type(exc).__name__}: {exc}")
        error = str(exc)[:500]
        _recorded(lambda: _finish(attempt, ok=False, error=error))
        retries_left = notification.attempts <= len(DELIVERY_BACKOFF)
        permanent = exc.permanent
        if permanent or not retries_left:
            log.warning("notification %s failed: %s", notification.pk, error)
            _recorded(lambda: _fail(notification, error, permanent, now))
            return None
        delay = DELIVERY_BACKOFF[notification.attempts - 1]
        retry_at = now + timedelta(seconds=delay)
        _recorded(
            lambda: Notification.objects.filter(pk=notification.pk).update(
                status="queued", not_before=retry_at, queued_at=retry_at, last_error=error
            )
        )
        return delay
    _recorded(lambda: _sent(notification, attempt))
    return None


def _sent(notification: Notification, attempt: DeliveryAttempt) -> None:
    _finish(attempt, ok=True)
    Notification.objects.filter(pk=notification.pk).update(status="sent", sent_at=timezone.now())


def _fail(notification: Notification, error: str, permanent: bool, now) -> None:
    """Record a notification that will not be retried, and go on down the chain."""
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(status="failed", last_error=error)
        if permanent:
            BrokenChannel.objects.update_or_create(
                contact=notification.contact,
                channel=notification.channel,
                defaults={"since": now, "error": error},
            )
        _fall_through(notification, now)


def _recorded(write):
    """Run `write`, which records the outcome of a channel call already made.

    Should the database connection have dropped meanwhile (a restart, a failover),
    reconnect and write again, a few times: the worker knows the outcome, and a
    notification left in 'sending' would be taken by the sweep for a dead worker's
    and sent a second time. Each write is idempotent (or one transaction, rolled
    back whole). Inside a caller's transaction nothing can be retried. Django runs
    no connection health check inside a Celery task, hence the explicit close.
    """
    for pause in (*RECORD_RETRY_PAUSES, None):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if pause is None or connection.in_atomic_block:
                raise
            log.warning("database connection lost while recording a delivery; reconnecting")
            connection.close()
            time.sleep(pause)


def _finish(attempt: DeliveryAttempt, *, ok: bool, error: str = "") -> None:
    attempt.ok, attempt.error, attempt.finished_at = ok, error, timezone.now()
    attempt.save(update_fields=["ok", "error", "finished_at"])


def escalate_overdue_alerts(*, now=None) -> int:
    """Move each unacknowledged alert past its window to the next contact on duty.

    Returns how many alerts moved. An alert with nobody further on duty stays
    with its contact (and in the triage queue) and is looked at again after
    another window, in case someone has come on duty.
    """
    now = now or timezone.now()
    moved = 0
    overdue = Alert.objects.filter(acknowledged_at__isnull=True, escalate_at__lte=now)
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
        claimed = Alert.objects.filter(
            pk=alert.pk, escalate_at=alert.escalate_at, acknowledged_at__isnull=True
        ).update(
            level=F("level") + 1 if following else F("level"),
            contact_id=following.ref if following else alert.contact_id,
            escalate_at=now + window,
        )
        if not claimed or following is None:
            return 0
        alert.refresh_from_db()
        _notify(alert, Contact.objects.get(pk=following.ref), now, now)
        return 1


def send_due_notifications(*, now=None) -> int:
    """The outbox sweep: queue what is due and what a broker or a worker lost.

    - queued notifications due now, never handed to the broker or handed long ago;
    - 'sending' ones whose attempt never finished (the worker died): queued again;
    - check-ins never evaluated (their task was lost): evaluation queued again;
    - check-ins owed an alert that could not be routed (a broken contact list).
    """
    from . import tasks

    now = now or timezone.now()
    requeue_before = now - timedelta(seconds=settings.NOTIFICATION_REQUEUE_AFTER_SECONDS)
    with transaction.atomic():
        stale = Notification.objects.filter(status="sending", claimed_at__lt=now - STALE_SENDING)
        DeliveryAttempt.objects.filter(notification__in=stale, finished_at__isnull=True).update(
            finished_at=now, ok=False, error="no outcome: the worker was lost"
        )
        stale.update(status="queued", queued_at=None)
        due = list(
            Notification.objects.filter(status="queued", not_before__lte=now)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=requeue_before))
            .values_list("pk", flat=True)
        )
        queue_notifications(due, now=now)
        lost = CheckIn.objects.filter(
            evaluated_at__isnull=True, submitted_at__lt=now - STALE_EVALUATION
        ).values_list("pk", flat=True)
        for pk in lost:
            queue_after_commit(tasks.evaluate_check_in, pk)
    owed = CheckIn.objects.filter(
        evaluated_at__isnull=False,
        alert__isnull=True,
        flags__alerted=True,
        flags__status="open",
        submitted_at__gte=now - ALERT_OWED_FOR,
    ).distinct()
    for check_in in owed.select_related("patient__care_team", "patient__user"):
        try:
            with transaction.atomic():
                raise_alert(check_in, now=now)
        except IntegrityError:
            pass  # another sweep raised it a moment ago
    return len(due)


def _with_its_episode(flag: Flag):
    """The flag and the other flags of its episode. A flag with no episode is alone:
    `episode_id=None` would match every episode-less flag, of any patient."""
    if flag.episode_id is None:
        return Flag.objects.filter(pk=flag.pk)
    return Flag.objects.filter(Q(pk=flag.pk) | Q(episode_id=flag.episode_id))


def acknowledge_flag(flag: Flag, user, *, now=None) -> bool:
    """Acknowledge the flag's episode and its open flags. A check-in's alert stops
    escalating once none of its alerting flags is still open: acknowledging one
    episode does not silence another episode's alert. False if nothing was open."""
    now = now or timezone.now()
    with transaction.atomic():
        episode_changed = Episode.objects.filter(pk=flag.episode_id, status="open").update(
            status="acknowledged", acknowledged_at=now, acknowledged_by=user
        )
        flags = _with_its_episode(flag)
        flags_changed = flags.filter(status="open").update(
            status="acknowledged", acknowledged_at=now, acknowledged_by=user
        )
        still_open = Flag.objects.filter(check_in=OuterRef("check_in"), alerted=True, status="open")
        Alert.objects.filter(
            check_in__in=flags.values("check_in"), acknowledged_at__isnull=True
        ).exclude(Exists(still_open)).update(
            acknowledged_at=now, acknowledged_by=user, escalate_at=None
        )
    return bool(episode_changed or flags_changed)


def record_action(flag: Flag, user, *, kind: str, note: str = "", now=None) -> Action:
    """Record what was done about the flag's episode (it acknowledges it too)."""
    now = now or timezone.now()
    with transaction.atomic():
        acknowledge_flag(flag, user, now=now)
        return Action.objects.create(
            episode_id=flag.episode_id, kind=kind, note=note, taken_at=now, taken_by=user
        )


def resolve_flag(flag: Flag, user, *, note: str, now=None) -> bool:
    """Resolve the flag's episode and all its flags, with a note; acknowledges first
    if need be. The next flag for that symptom opens a new episode."""
    now = now or timezone.now()
    with transaction.atomic():
        acknowledge_flag(flag, user, now=now)
        Episode.objects.filter(pk=flag.episode_id).exclude(status="resolved").update(
            status="resolved", resolved_at=now, resolved_by=user
        )
        changed = (
            _with_its_episode(flag)
            .filter(status="acknowledged")
            .update(status="resolved", resolved_at=now, resolved_by=user, resolution_note=note)
        )
    return bool(changed)
