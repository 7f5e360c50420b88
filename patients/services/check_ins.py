"""Recording baselines and check-ins, and judging a check-in: the patient's side of
the core loop.

A check-in is judged at once, in the request, for the patient's advice (the same
pure engine the worker runs for flags); once it is saved, `check_in_recorded` is
sent inside the transaction, and alerts queues the worker's evaluation on commit.

The request reads what judging needs with the patient's row, in one query
(`load_for_check_in`: the usual, the treatment, the 2 days before, the hour's
limit), runs the engine once, and writes the check-in and its audit row in one
transaction. A patient may send CHECK_INS_PER_HOUR check-ins an hour, carers
included; `record_check_in` says which are never refused.
"""

import json
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from clinical.catalogue import AMBER_FLAG, ITEMS, RED_FLAG
from clinical.engine import Evaluation, PastCheckIn, Treatment, evaluate_check_in
from clinical.urgency import EMERGENCY, RED

from .. import audit
from ..models import Baseline, CheckIn, Patient
from ..models import Treatment as TreatmentRecord
from ..signals import check_in_recorded

# The engine looks back 2 calendar days (R14).
DAYS_BEFORE = 2
# Any check-in dated in those days was sent within this long of now, whatever the
# patient's zone was then or is now (zones differ by up to 26 hours): a bound on
# submitted_at that lets the (patient, submitted_at) index find the recent days.
_RECENT_SPAN = timedelta(days=DAYS_BEFORE + 3)
WARNING_SIGNS = frozenset(item.key for item in ITEMS if item.cls in (RED_FLAG, AMBER_FLAG))


class TooManyCheckIns(Exception):
    """The patient (with their carers) sent CHECK_INS_PER_HOUR check-ins in the last
    hour: this one is not saved. `until`: when the next one will be taken."""

    def __init__(self, until: datetime):
        super().__init__(f"Too many check-ins; the next one is taken from {until:%H:%M}.")
        self.until = until


@dataclass
class CheckInContext:
    """What judging a new check-in of a patient needs, read with the patient.

    `recent`: their check-ins of the 2 calendar days before `day` (their baselines
    loaded); `limited_until`: set when the hour's limit is reached, the time the
    next check-in is taken; `token_used`: a check-in was saved under this form's token.
    """

    now: datetime
    day: date
    baseline: Baseline | None
    treatment: Treatment
    recent: list[CheckIn] = field(default_factory=list)
    limited_until: datetime | None = None
    token_used: bool = False


def load_for_check_in(
    patients: QuerySet,
    *,
    now=None,
    history: bool = True,
    form_token=None,
    per_hour: int | None = None,
    day: date | None = None,
    zone: str | None = None,
) -> Patient | None:
    """The patient of `patients` (one row, or none) with `check_in_context`, in one query.

    The patient row comes with their team and user, the active baseline, the current
    treatment, with `history` their check-ins of the days the engine looks back on,
    with `per_hour` the time their hour's limit ends if it is reached (the newest
    `per_hour` check-ins of the last hour, found on the (patient, submitted_at)
    index), and with `form_token` whether that form was saved already. The recent
    check-ins are joined, so the patient's row comes once for each of them.

    `day`: the calendar day judged, when known (an earlier check-in's); by default
    the patient's today, which depends on their zone, read in the same row. `zone`,
    the zone they were last seen in (the check-in page keeps it in the session),
    gives the days to read; without it, the dates today may be anywhere are read
    and the right ones kept. Should the zone have changed since, the days before
    are read again for the right dates (one more query, once).
    """
    now = now or timezone.now()
    relations = {
        "loaded_baseline": FilteredRelation(
            "baselines", condition=Q(baselines__pk=Subquery(_newest_baseline()))
        ),
        "loaded_treatment": FilteredRelation(
            "treatments", condition=Q(treatments__pk=Subquery(_current_treatment()))
        ),
    }
    related = ["care_team", "user", "loaded_baseline", "loaded_treatment"]
    first, last = _days_to_read(now, day, zone)
    if history:
        relations["recent"] = FilteredRelation(
            "check_ins",
            condition=Q(
                check_ins__submitted_at__gte=now - _RECENT_SPAN,
                check_ins__submitted_at__lte=now + _RECENT_SPAN,
                check_ins__local_date__gte=first,
                check_ins__local_date__lt=last,
            ),
        )
        related.append("recent__baseline")
    annotations = {}
    if per_hour:
        annotations["limit_reached_by"] = Subquery(
            CheckIn.objects.filter(
                patient=OuterRef("pk"), submitted_at__gt=now - timedelta(hours=1)
            )
            .order_by("-submitted_at")
            .values("submitted_at")[per_hour - 1 : per_hour]
        )
    token = _uuid(form_token)
    if token is not None:
        annotations["token_used"] = Exists(
            CheckIn.objects.filter(patient=OuterRef("pk"), form_token=token)
        )
    rows = list(patients.annotate(**relations, **annotations).select_related(*related).order_by())
    if not rows:
        return None
    patient = rows[0]
    day = day or patient.local_date(now)
    recent = [
        recent
        for row in rows
        if (recent := getattr(row, "recent", None)) is not None
        and day - timedelta(days=DAYS_BEFORE) <= recent.local_date < day
    ]
    if history and not first <= day - timedelta(days=DAYS_BEFORE) < day <= last:
        recent = list(_recent_days(patient, day, now))  # their zone changed since
    # A relation the LEFT JOIN found nothing for is left unset on the row.
    treatment = getattr(patient, "loaded_treatment", None)
    reached_by = getattr(patient, "limit_reached_by", None)
    patient.check_in_context = CheckInContext(
        now=now,
        day=day,
        baseline=getattr(patient, "loaded_baseline", None),
        treatment=_treatment(treatment),
        recent=recent,
        limited_until=reached_by + timedelta(hours=1) if reached_by else None,
        token_used=bool(getattr(patient, "token_used", False)),
    )
    return patient


def _days_to_read(now, day: date | None, zone: str | None) -> tuple[date, date]:
    """The dates (first, last excluded) of the days before `day`, or before today in
    `zone`, or, with neither, of every day that may be among them in some zone."""
    if day is None and zone:
        try:
            day = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            day = None
    if day is not None:
        return day - timedelta(days=DAYS_BEFORE), day
    utc_day = now.astimezone(UTC).date()
    return utc_day - timedelta(days=DAYS_BEFORE + 1), utc_day + timedelta(days=1)


def _recent_days(patient: Patient, day: date, now) -> QuerySet:
    return CheckIn.objects.filter(
        patient=patient,
        submitted_at__gte=now - _RECENT_SPAN,
        submitted_at__lte=now + _RECENT_SPAN,
        local_date__gte=day - timedelta(days=DAYS_BEFORE),
        local_date__lt=day,
    ).select_related("baseline")


def _newest_baseline():
    return (
        Baseline.objects.filter(patient=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )


def _current_treatment():
    return TreatmentRecord.objects.filter(patient=OuterRef("pk")).current_first().values("pk")[:1]


def _treatment(treatment) -> Treatment:
    return Treatment(treatment.with_chemotherapy, treatment.status) if treatment else Treatment()


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def record_baseline(*, patient: Patient, values: dict, recorded_by) -> Baseline:
    """A new baseline becomes the active one; earlier ones are kept for earlier check-ins."""
    return Baseline.objects.create(patient=patient, recorded_by=recorded_by, **values)


def record_check_in(
    *,
    patient: Patient,
    answers: dict,
    entered_by: str,
    user,
    free_text: str = "",
    new_medicines: str = "",
    form_token=None,
    now=None,
    actor=None,
    limit: bool = False,
) -> tuple[CheckIn, Evaluation, bool]:
    """Save a check-in, judge it at once for the patient's advice, queue the worker.

    The engine runs once, on what `load_for_check_in` read with the patient (read
    here when the patient came without it). `actor` (a request or a user): the
    audit trail's "created" row, written in the check-in's transaction.

    The same form submitted twice (same form_token, same answers) saves once: the
    second call returns the first check-in with created=False. A form sent again
    with changed answers (back, tick another box, send) is a new check-in.

    With `limit`, a new check-in beyond CHECK_INS_PER_HOUR in the last hour (the
    patient's and their carers' together) raises TooManyCheckIns and saves nothing,
    unless it reports a warning sign (a red- or amber-flag item answered yes) or the
    engine judges it red or emergency: those are never refused, since they are what
    the team most needs to hear about. So the engine runs first, and the limit
    refuses only green and amber check-ins without a warning sign. A form sent
    again (its token saved already) is answered as above, never refused.
    """
    context = getattr(patient, "check_in_context", None)
    if context is None or (now is not None and now != context.now):
        patient = load_for_check_in(
            Patient.objects.filter(pk=patient.pk),
            now=now,
            form_token=form_token,
            per_hour=settings.CHECK_INS_PER_HOUR if limit else None,
        )
        context = patient.check_in_context
    now = context.now
    if context.token_used:
        found = _sent_before(patient, answers, free_text, new_medicines, form_token)
        if isinstance(found, CheckIn):
            return found, evaluate(found), False
        form_token = found
    check_in = CheckIn(
        patient=patient,
        baseline=context.baseline,
        submitted_at=now,
        local_date=context.day,
        entered_by=entered_by,
        entered_by_user=user,
        free_text=free_text,
        new_medicines=new_medicines,
        form_token=form_token,
        **answers,
    )
    evaluation = _evaluate(check_in, context.baseline, context.recent, context.treatment)
    check_in.urgency = evaluation.urgency
    if limit and context.limited_until and not never_refused(answers, evaluation):
        raise TooManyCheckIns(context.limited_until)
    try:
        with transaction.atomic():
            check_in.save()
            check_in_recorded.send(sender=CheckIn, check_in=check_in)
            if actor is not None:
                audit.record(actor, "created", patient, obj=check_in)
    except IntegrityError:
        # The same token saved by a concurrent request a moment ago.
        earlier = CheckIn.objects.get(form_token=form_token, patient=patient)
        return earlier, evaluate(earlier), False
    return check_in, evaluation, True


def never_refused(answers: dict, evaluation: Evaluation) -> bool:
    """A check-in the hour's limit never refuses: a warning sign answered yes, or red
    or emergency."""
    return evaluation.urgency in (RED, EMERGENCY) or any(
        answers.get(key) is True for key in WARNING_SIGNS
    )


def _sent_before(patient, answers, free_text, new_medicines, form_token) -> CheckIn | uuid.UUID:
    """The check-in this form (these answers) saved already, or the token to save a
    changed version under."""
    earlier = CheckIn.objects.filter(form_token=form_token, patient=patient).first()
    if earlier is None or _same(earlier, answers, free_text, new_medicines):
        return earlier or form_token
    # Back, change, send: a new check-in under a token of its own (the form's and
    # these answers), so that this version sent twice is saved once too.
    token = _variant(form_token, answers, free_text, new_medicines)
    again = CheckIn.objects.filter(form_token=token, patient=patient).first()
    return again if again is not None else token


def _variant(token, answers: dict, free_text: str, new_medicines: str) -> uuid.UUID:
    answered = sorted((k, str(v)) for k, v in answers.items() if v is not None)
    return uuid.uuid5(uuid.UUID(str(token)), json.dumps([answered, free_text, new_medicines]))


def _same(check_in: CheckIn, answers: dict, free_text: str, new_medicines: str) -> bool:
    return (
        check_in.answers() == {k: v for k, v in answers.items() if v is not None}
        and check_in.free_text == free_text
        and check_in.new_medicines == new_medicines
    )


def evaluate(check_in: CheckIn) -> Evaluation:
    """Run the engine on a check-in (saved or not) with its baseline and the 2 days
    before (read, with the current treatment, in one query).

    The worker calls it (alerts.services.flagging) on the saved check-in; the
    request judged it already with what it had read (record_check_in)."""
    context = load_for_check_in(
        Patient.objects.filter(pk=check_in.patient_id),
        now=check_in.submitted_at or timezone.now(),
        day=check_in.local_date,
    ).check_in_context
    return _evaluate(check_in, check_in.baseline, context.recent, context.treatment)


def _evaluate(check_in: CheckIn, baseline, recent, treatment: Treatment) -> Evaluation:
    history = [
        PastCheckIn(
            (check_in.local_date - c.local_date).days,
            c.answers(),
            c.baseline.answers() if c.baseline else {},
        )
        for c in recent
    ]
    return evaluate_check_in(
        check_in.answers(),
        baseline.answers() if baseline else {},
        history=history,
        treatment=treatment,
    )
