"""The open alarm: a red or emergency finding of the last 24 hours that the team has
not resolved, which every advice page, the home page and a carer's pages lead with
until then (issue 13, item 2), saying once the team has seen it.

It is read in one query, bounded by the patient's own rows: the flags of their
episodes that are not resolved (the partial unique index on patient and symptom),
and the check-ins the worker has not evaluated yet, whose verdict is the one the
request showed (CheckIn.urgency): the advice never waits for a worker.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from clinical.urgency import EMERGENCY, RANK, RED

from ..models import ACKNOWLEDGED, OPEN, Acknowledgement, CheckIn, Flag, Patient
from .advice import advice_for

URGENT = (EMERGENCY, RED)
WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class OpenAlarm:
    """The finding a page leads with: its urgency, the check-in it came from, when,
    and when the team saw it (None while nobody has)."""

    urgency: str
    check_in_id: int
    at: datetime
    seen_at: datetime | None

    @property
    def emergency(self) -> bool:
        return self.urgency == EMERGENCY

    def outranks(self, urgency: str) -> bool:
        """Whether it is more urgent than a check-in at `urgency`: a page about that
        check-in leads with it rather than with the check-in's own advice."""
        return RANK[self.urgency] > RANK[urgency]


def _rank() -> models.Case:
    return models.Case(
        models.When(urgency=EMERGENCY, then=models.Value(1)),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def open_alarm_for(patient: Patient, *, now=None) -> OpenAlarm | None:
    """The patient's most urgent open alarm (an emergency before a red, then the
    newest), or None.

    1. Flags at red or emergency of the last 24 hours in the patient's episodes that
       are not resolved; one is seen when its episode is acknowledged (a worse flag
       reopens an episode, so an acknowledged episode's flags are all seen), at its
       latest acknowledgement.
    2. Check-ins of the last 24 hours at red or emergency that the worker has not
       evaluated yet: unseen, by the request's verdict.
    3. Both in one query, the most urgent and newest first.
    """
    row = _candidates([patient.pk], now=now).order_by("-rank", "-at").first()
    return _alarm(row) if row is not None else None


def open_alarms_for(patient_ids, *, now=None) -> dict[int, OpenAlarm]:
    """Each of these patients' most urgent open alarm, by patient id, in one query
    (a carer choosing among the patients they help): as `open_alarm_for`, the rows
    of the last 24 hours sorted in Python, a few at most per patient."""
    alarms: dict[int, OpenAlarm] = {}
    rows = _candidates(list(patient_ids), now=now).order_by("-rank", "-at")
    for row in rows:
        alarms.setdefault(row[-1], _alarm(row))
    return alarms


def _candidates(patient_ids: list[int], *, now=None):
    """The open alarms of these patients, unsorted: (rank, at, urgency, check-in id,
    seen at, patient id) rows of a union of flags and check-ins not yet evaluated."""
    now = now or timezone.now()
    since = now - WINDOW
    acknowledged = (
        Acknowledgement.objects.filter(episode=models.OuterRef("episode"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    flags = (
        Flag.objects.filter(
            episode__patient__in=patient_ids,
            episode__status__in=[OPEN, ACKNOWLEDGED],
            urgency__in=URGENT,
            created_at__gte=since,
        )
        .annotate(
            rank=_rank(),
            at=models.F("created_at"),
            seen_at=models.Case(
                models.When(episode__status=ACKNOWLEDGED, then=models.Subquery(acknowledged)),
                default=models.Value(None),
                output_field=models.DateTimeField(),
            ),
            whose=models.F("episode__patient_id"),
        )
        .values_list("rank", "at", "urgency", "check_in_id", "seen_at", "whose")
        .order_by()
    )
    waiting = (
        CheckIn.objects.filter(
            patient__in=patient_ids, evaluated_at=None, urgency__in=URGENT, submitted_at__gte=since
        )
        .annotate(
            rank=_rank(),
            at=models.F("submitted_at"),
            check_in_ref=models.F("pk"),
            seen_at=models.Value(None, output_field=models.DateTimeField()),
            whose=models.F("patient_id"),
        )
        .values_list("rank", "at", "urgency", "check_in_ref", "seen_at", "whose")
        .order_by()
    )
    return flags.union(waiting, all=True)


def _alarm(row) -> OpenAlarm:
    _, at, urgency, check_in_id, seen_at, _patient = row
    return OpenAlarm(urgency=urgency, check_in_id=check_in_id, at=at, seen_at=seen_at)


def open_alarm_context(patient: Patient) -> dict:
    """What templates/patients/_open_alarm.html needs on a page that leads with the
    open alarm when there is one: the alarm, and whom to phone for it."""
    alarm = open_alarm_for(patient)
    return {"alarm": alarm, "alarm_advice": advice_for(patient, alarm.urgency) if alarm else None}
