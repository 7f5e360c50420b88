"""The clinic summary: one printable page before an appointment, for the patient and
the clinician (issue 15, item 4). The patient's page (patients/views/summary.py) and
the care team's (alerts/views/summary.py) both render what `clinic_summary` returns.

The period. There is no appointment in the data, so "since the last appointment" is
a date the viewer may change (?since=YYYY-MM-DD). By default it is the current
treatment's last dose (the last treatment visit) when that was within the last
year, else 30 days ago; never before the patient joined. A date that cannot be read,
in the future, before the patient joined or more than 366 days back is refused with
a message and the default is used. Days are the patient's calendar days.

The usual. Each check-in is compared with the usual it was judged against when it
was made (CheckIn.baseline), as the engine compared it; where the usual changed
within the period the page shows each one and the day it was recorded. With no
usual recorded, a score's usual is none (0) and the stools' 1 a day (the engine's
rule); wellbeing then has no usual ("none recorded"), was compared with nothing, and
so is listed with its worst rather than "as usual throughout".

The cost is fixed (tests assert it): two aggregate queries over the period's
check-ins (each item's worst, its days worse than usual, its warning-sign days; then
the first day each worst was reached), one for the warning signs' days (a row per
day at most: the period is at most 367 days), one for the usuals, the episodes with
their actions and acknowledgements (three), the questions (one) and the treatment.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone, translation

from clinical import words as plain
from clinical.catalogue import COUNT, ITEMS, SCORE, TEMPERATURE, WELLBEING, YESNO, Item
from clinical.engine import DEFAULT_BASELINE, DEFAULT_SCORE_BASELINE, LOW

from .models import Acknowledgement, Action, Baseline, Flag, Patient

DEFAULT_DAYS = 30  # the period when no dose was recorded in the last year
LAST_DOSE_WITHIN = 365  # days: an older last dose is not "the last appointment"
MAX_DAYS_BACK = 366  # the longest period a viewer may ask for: the cap on what is read
EPISODES_SHOWN = 8  # the page stays one page: the rest are on the patient's page
ACTIONS_SHOWN = 3  # an episode's last actions; the earlier ones are counted
QUESTIONS_SHOWN = 12
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class SymptomRow:
    item: Item
    usual: str  # the usual it was judged against, with each change in the period
    worst: str
    worst_day: date
    days_worse: int
    days_answered: int


@dataclass
class Summary:
    patient: Patient
    since: date
    until: date
    default_since: date
    since_message: str
    printed_at: object
    treatment: object
    days_since_dose: int | None
    check_ins: int
    days_checked_in: int
    days_without: int
    rows: list[SymptomRow] = field(default_factory=list)
    as_usual: list[Item] = field(default_factory=list)
    warning_signs: list[tuple[Item, list[date]]] = field(default_factory=list)
    no_warning_signs: list[Item] = field(default_factory=list)
    temperature: tuple[str, date] | None = None
    low_temperature: tuple[str, date] | None = None  # only below 36.0 °C (R12)
    episodes: list = field(default_factory=list)
    episodes_total: int = 0
    questions: list = field(default_factory=list)
    questions_total: int = 0

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


# The period


def default_since(patient: Patient, treatment, today: date) -> date:
    """The current treatment's last dose when within the last year, else 30 days ago;
    never before the patient joined."""
    last = treatment.last_dose_date if treatment else None
    if last and today - timedelta(days=LAST_DOSE_WITHIN) <= last <= today:
        since = last
    else:
        since = today - timedelta(days=DEFAULT_DAYS)
    return max(since, patient.local_date(patient.created_at))


def read_since(raw: str | None, *, patient: Patient, today: date, default: date):
    """(the date asked for, or the default; a message saying why it was refused)."""
    raw = (raw or "").strip()
    if not raw:
        return default, ""
    kept = f"showing from {default:%-d %B %Y} instead."
    if not ISO_DATE.match(raw):
        return default, f"“{raw[:20]}” is not a date written as YYYY-MM-DD: {kept}"
    try:
        since = date.fromisoformat(raw)
    except ValueError:
        return default, f"“{raw}” is not a real date: {kept}"
    if since > today:
        return default, f"{since:%-d %B %Y} is in the future: {kept}"
    joined = patient.local_date(patient.created_at)
    if since < joined:
        return (
            default,
            f"{since:%-d %B %Y} is before {joined:%-d %B %Y}, when the record began: {kept}",
        )
    if (today - since).days > MAX_DAYS_BACK:
        return default, f"The summary covers at most {MAX_DAYS_BACK} days: {kept}"
    return since, ""


def no_usual(item: Item):
    """The usual the engine assumes where none was recorded (REFERENCE.md, rule set
    v1): a score's none (0), the stools' 1 a day; None for wellbeing (no comparison)."""
    if item.kind == SCORE:
        return DEFAULT_SCORE_BASELINE
    if item.kind == COUNT:
        return DEFAULT_BASELINE[item.key]
    return None


# Values in the page's words: a score by its label ("Moderate (2)")


def value_words(item: Item, value) -> str:
    if item.kind == SCORE:
        return f"{item.choices[int(value)]} ({value})"
    if item.kind == TEMPERATURE:
        fahrenheit = translation.get_language() == "en-us"
        return plain.temperature_words(item, value, fahrenheit_first=fahrenheit)
    return plain.usual_text(item, value)


# The symptoms


def _worse(item: Item) -> Q | None:
    """A check-in worse than the usual it was judged against, in SQL (None: the item
    has no usual)."""
    usual = F(f"baseline__{item.key}")
    if item.kind == WELLBEING:  # lower is worse; no usual recorded, no comparison
        return Q(**{f"{item.key}__lt": usual})
    if item.kind in (SCORE, COUNT):
        return Q(**{f"{item.key}__gt": Coalesce(usual, Value(no_usual(item)))})
    return None


def _uncompared(item: Item) -> Q | None:
    """An answer that was compared with no usual (wellbeing with none recorded)."""
    if item.kind == WELLBEING:
        return Q(**{f"{item.key}__isnull": False, f"baseline__{item.key}__isnull": True})
    return None


def _usuals(patient: Patient, check_ins, *, without: bool) -> dict[str, str]:
    """Each item's usual as the period's check-ins were judged against it: 'Mild (1)',
    or 'None (0); Mild (1) from 3 Mar' where it changed (one query). `without`: some
    check-ins were judged against no usual recorded."""
    used = list(
        Baseline.objects.filter(
            Exists(check_ins.filter(baseline=OuterRef("pk"))), patient=patient
        ).order_by("created_at", "pk")
    )
    usuals = {}
    for item in ITEMS:
        if not item.has_baseline:
            continue
        chain: list[tuple[date | None, object]] = []
        if without or not used:
            chain.append((None, no_usual(item)))
        for baseline in used:
            value = getattr(baseline, item.key)
            if value is None:
                value = no_usual(item)
            if not chain or chain[-1][1] != value:
                chain.append((patient.local_date(baseline.created_at), value))
        parts = []
        for i, (day, value) in enumerate(chain):
            shown = "none recorded" if value is None else value_words(item, value)
            parts.append(shown if i == 0 or day is None else f"{shown} from {day:%-d %b}")
        usuals[item.key] = "; ".join(parts)
    return usuals


def _symptoms(summary: Summary, check_ins) -> None:
    """The period's check-ins item by item: worst and when, days worse than usual,
    warning signs with their days, the highest temperature (and the lowest when low).

    The worst is the worst of the days worse than the usual they were judged against
    (a usual may change in the period); an item goes under "as usual throughout" only
    when every answer was compared with a usual and none was worse."""
    totals = {
        "n": Count("pk"),
        "days": Count("local_date", distinct=True),
        "without_usual": Count("pk", filter=Q(baseline__isnull=True)),
    }
    for item in ITEMS:
        key = item.key
        if item.kind == YESNO:
            totals[f"yes_{key}"] = Count("local_date", distinct=True, filter=Q(**{key: True}))
            totals[f"asked_{key}"] = Count("pk", filter=Q(**{f"{key}__isnull": False}))
            continue
        totals[f"answered_{key}"] = Count(
            "local_date", distinct=True, filter=Q(**{f"{key}__isnull": False})
        )
        lowest = item.kind == WELLBEING
        totals[f"worst_{key}"] = Min(key) if lowest else Max(key)
        if item.kind == TEMPERATURE:
            totals[f"lowest_{key}"] = Min(key)
        if (worse := _worse(item)) is not None:
            totals[f"worse_{key}"] = Count("local_date", distinct=True, filter=worse)
            totals[f"worst_worse_{key}"] = (Min if lowest else Max)(key, filter=worse)
        if (uncompared := _uncompared(item)) is not None:
            totals[f"uncompared_{key}"] = Count("pk", filter=uncompared)
    got = check_ins.aggregate(**totals)
    summary.check_ins = got["n"]
    summary.days_checked_in = got["days"]
    summary.days_without = max(summary.days - got["days"], 0)
    if not got["n"]:
        return
    # Each item's worst, and the check-ins it is the worst of: the days worse than
    # usual where there were some, else all.
    worst, among = {}, {}
    for item in ITEMS:
        key = item.key
        if item.kind == YESNO or got[f"worst_{key}"] is None:
            continue
        if got.get(f"worse_{key}"):
            worst[key], among[key] = got[f"worst_worse_{key}"], _worse(item)
        else:
            worst[key], among[key] = got[f"worst_{key}"], Q()
    low = {
        i.key: got[f"lowest_{i.key}"]
        for i in ITEMS
        if i.kind == TEMPERATURE
        and got[f"lowest_{i.key}"] is not None
        and got[f"lowest_{i.key}"] < LOW
    }
    # The first day each worst was reached: one more aggregate, whatever the items.
    firsts = check_ins.aggregate(
        **{
            f"when_{key}": Min("local_date", filter=among[key] & Q(**{key: value}))
            for key, value in worst.items()
        },
        **{f"low_{key}": Min("local_date", filter=Q(**{key: v})) for key, v in low.items()},
    )
    usuals = _usuals(summary.patient, check_ins, without=bool(got["without_usual"]))
    for item in ITEMS:
        key = item.key
        if item.kind == YESNO or key not in worst:
            continue
        if item.kind == TEMPERATURE:
            summary.temperature = (value_words(item, worst[key]), firsts[f"when_{key}"])
            if key in low:
                summary.low_temperature = (value_words(item, low[key]), firsts[f"low_{key}"])
            continue
        days_worse = got.get(f"worse_{key}") or 0
        if not days_worse and not got.get(f"uncompared_{key}"):
            summary.as_usual.append(item)
            continue
        summary.rows.append(
            SymptomRow(
                item=item,
                usual=usuals[key],
                worst=value_words(item, worst[key]),
                worst_day=firsts[f"when_{key}"],
                days_worse=days_worse,
                days_answered=got[f"answered_{key}"],
            )
        )
    signs = [i for i in ITEMS if i.kind == YESNO]
    yes = [i for i in signs if got[f"yes_{i.key}"]]
    summary.no_warning_signs = [
        i for i in signs if not got[f"yes_{i.key}"] and got[f"asked_{i.key}"]
    ]
    if yes:
        any_yes = Q()
        for item in yes:
            any_yes |= Q(**{item.key: True})
        days = (
            check_ins.filter(any_yes)
            .order_by("local_date")
            .values("local_date")
            .annotate(**{i.key: Max(Cast(i.key, IntegerField())) for i in yes})
        )
        by_item = {i.key: [] for i in yes}
        for day in days:
            for item in yes:
                if day[item.key]:
                    by_item[item.key].append(day["local_date"])
        summary.warning_signs = [(i, by_item[i.key]) for i in yes]


# Flags and what was done; the notebook


def _episodes(summary: Summary) -> None:
    """The episodes with a flag from a check-in in the period, first opened first,
    with their actions and acknowledgements (three queries)."""
    flagged = Flag.objects.filter(
        episode=OuterRef("pk"),
        check_in__local_date__gte=summary.since,
        check_in__local_date__lte=summary.until,
    )
    episodes = (
        summary.patient.episodes.filter(Exists(flagged))
        .select_related("resolved_by")
        .prefetch_related(
            Prefetch("actions", queryset=Action.objects.select_related("taken_by")),
            Prefetch("acknowledgements", queryset=Acknowledgement.objects.select_related("by")),
        )
        .order_by("-opened_at", "-pk")
    )
    shown = list(episodes[: EPISODES_SHOWN + 1])
    summary.episodes_total = episodes.count() if len(shown) > EPISODES_SHOWN else len(shown)
    summary.episodes = list(reversed(shown[:EPISODES_SHOWN]))
    for episode in summary.episodes:
        actions = list(episode.actions.all())  # prefetched, oldest first
        episode.last_actions = actions[-ACTIONS_SHOWN:]
        episode.earlier_actions = len(actions) - len(episode.last_actions)


def _questions(summary: Summary, *, include: bool) -> None:
    if not include:
        return
    waiting = summary.patient.questions.filter(asked_at__isnull=True).order_by("created_at", "pk")
    shown = list(waiting[: QUESTIONS_SHOWN + 1])
    summary.questions_total = waiting.count() if len(shown) > QUESTIONS_SHOWN else len(shown)
    summary.questions = shown[:QUESTIONS_SHOWN]


def clinic_summary(
    patient: Patient, *, since: str | None = None, questions: bool = True
) -> Summary:
    """The summary of `patient` from `since` (the viewer's ?since=, checked here) to
    today, in the patient's calendar days. `questions`: whether to show the
    notebook's questions not yet asked (the notebook is the patient's own: not for
    a carer)."""
    today = patient.local_date()
    treatment = patient.treatment
    default = default_since(patient, treatment, today)
    start, message = read_since(since, patient=patient, today=today, default=default)
    summary = Summary(
        patient=patient,
        since=start,
        until=today,
        default_since=default,
        since_message=message,
        printed_at=timezone.localtime(),
        treatment=treatment,
        days_since_dose=treatment.days_since_last_dose(today) if treatment else None,
        check_ins=0,
        days_checked_in=0,
        days_without=0,
    )
    period = patient.check_ins.filter(local_date__gte=start, local_date__lte=today)
    _symptoms(summary, period)
    _episodes(summary)
    _questions(summary, include=questions)
    return summary
