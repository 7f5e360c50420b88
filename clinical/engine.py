"""The deviation engine: rule set v1 of shared/clinical/REFERENCE.md.

A pure function: answers, baseline and recent days in, findings out. No
database, no network, no clock. The check-in view runs it to show advice at
once; the worker runs the same function to create flags and alerts.

It runs for every check-in, and for the two days before each: the catalogue is
read once, at import, into runs of items judged alike, so that an item at the
patient's usual (most items, most days) costs a look-up and a comparison, and a
finding and its explanation are made only for an item that deviates.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from .catalogue import (
    ABSOLUTE,
    AMBER_FLAG,
    COUNT,
    COUNTED,
    CRITICAL,
    ITEMS,
    RED_FLAG,
    STANDARD,
    WELLBEING,
    Item,
)
from .urgency import AMBER, EMERGENCY, GREEN, RANK, RED, highest

RULE_SET = "v1"

# Where no baseline value is recorded (REFERENCE.md, rule set v1).
DEFAULT_BASELINE = {"stools_per_day": 1}
DEFAULT_SCORE_BASELINE = 0
# Temperatures (R11, R12): a fever at or above FEVER, raised from RAISED, low below LOW.
FEVER = Decimal("38.0")
RAISED = Decimal("37.5")
LOW = Decimal("36.0")


@dataclass(frozen=True)
class Finding:
    """One symptom's deviation: what a flag is made from at amber and above."""

    symptom: str
    urgency: str
    rule: str
    explanation: str
    value: object = None
    baseline: object = None
    raised_by: tuple[str, ...] = ()  # R14, R15: rules that raised the urgency

    @property
    def alerting(self) -> bool:
        return RANK[self.urgency] > RANK[GREEN]

    def as_dict(self) -> dict:
        return {
            "symptom": self.symptom,
            "urgency": self.urgency,
            "rule": self.rule,
            "raised_by": list(self.raised_by),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Evaluation:
    urgency: str
    findings: tuple[Finding, ...] = ()
    rule_set: str = RULE_SET

    @property
    def alerting(self) -> list[str]:
        """Sorted keys of the findings above green (the vignettes' `alerting`)."""
        return sorted({f.symptom for f in self.findings if f.alerting})

    @property
    def alerting_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.alerting)


@dataclass(frozen=True)
class Treatment:
    with_chemotherapy: bool = False
    status: str = "active"


@dataclass(frozen=True)
class PastCheckIn:
    """An earlier check-in, `days_ago` calendar days before today (1 = yesterday)."""

    days_ago: int
    answers: Mapping[str, object]
    baseline: Mapping[str, object] | None = None  # the baseline it was judged against


# Where no treatment is given: a frozen value, so one serves every check-in.
_NO_TREATMENT = Treatment()


# Rules R1-R13, one function per kind of item. Each is called only for an item
# that deviates, and builds the finding and its explanation; an item at the
# patient's usual never reaches them (see _BY_KIND below).


def _against_baseline(item: Item, x, b, d) -> Finding:
    """Scores and stools above their baseline b, by d (> 0): R1, R2, R4, R6-R10."""
    versus = f"{item.label.lower()} {item.display(x)} vs baseline {item.display(b)}: +{d}"
    if item.cls == COUNTED:  # stools
        if d >= 4:
            return Finding(item.key, RED, "R2", f"{versus} over baseline (grade 2-3)", x, b)
        return Finding(item.key, AMBER, "R1", f"{versus} over baseline (grade 1)", x, b)
    if item.cls == CRITICAL:
        if item.key == "shortness_of_breath" and x == 4:
            return Finding(item.key, EMERGENCY, "R4", f"{versus}; very severe", x, b)
        if x >= 3 or d >= 2:
            return Finding(item.key, RED, "R9", f"{versus} (critical symptom)", x, b)
        return Finding(item.key, AMBER, "R10", f"{versus} (critical symptom, small rise)", x, b)
    # STANDARD (_kind_of makes sure no other class comes here)
    if x == 4:
        return Finding(item.key, RED, "R6", f"{versus}; very severe and worse", x, b)
    if x >= 3 or d >= 2:
        return Finding(item.key, AMBER, "R7", f"{versus}", x, b)
    return Finding(item.key, GREEN, "R8", f"{versus} (small rise, recorded)", x, b)


def _warning_sign(item: Item, x) -> Finding:
    """A yes/no warning sign answered yes: R3 (R4 for chest pain), R5."""
    if item.cls == AMBER_FLAG:
        return Finding(item.key, AMBER, "R5", f"{item.label}: yes (warning sign)", x)
    if item.key == "chest_pain":
        return Finding(item.key, EMERGENCY, "R4", "Chest pain: yes (emergency sign)", x)
    return Finding(item.key, RED, "R3", f"{item.label}: yes (red-flag sign)", x)


def _temperature(item: Item, t: Decimal, treatment: Treatment) -> Finding | None:
    """R11 (fever), R12 (raised or low; red with chemotherapy); no baseline."""
    if t >= FEVER:
        return Finding(
            item.key, RED, "R11", f"temperature {item.display(t)}: fever (38.0 °C or above)", t
        )
    if RAISED <= t < FEVER or t < LOW:
        what = "raised (37.5-37.9 °C)" if t >= RAISED else "low (below 36.0 °C)"
        shown = item.display(t)
        if treatment.with_chemotherapy:
            return Finding(
                item.key, RED, "R12", f"temperature {shown}: {what}, with chemotherapy", t
            )
        return Finding(item.key, AMBER, "R12", f"temperature {shown}: {what}", t)
    return None


def _wellbeing(item: Item, x, b) -> Finding:
    """R13: wellbeing x at least 3 below its recorded baseline b."""
    return Finding(
        item.key,
        AMBER,
        "R13",
        f"wellbeing {item.display(x)} vs baseline {item.display(b)}: {x - b}",
        x,
        b,
    )


# Each kind of item over its run of the catalogue: which answered items deviate.
# `answer` and `usual` are the check-in's and the baseline's `get`; findings are
# appended to `found`. These loops run for every item of every check-in (and of
# the two days before), so an item at its usual costs a look-up and a comparison.


def _judge_against_baseline(items, answer, usual, treatment, found) -> None:
    for key, item, default in items:
        x = answer(key)
        if x is None:
            continue
        b = usual(key)
        if b is None:  # none recorded: REFERENCE.md's default
            b = default
        d = x - b
        if d <= 0:  # at or below baseline: the patient's normal
            continue
        found.append(_against_baseline(item, x, b, d))


def _judge_warning_signs(items, answer, usual, treatment, found) -> None:
    for key, item, _default in items:
        x = answer(key)
        if x:  # answered yes (None is unanswered, False is no)
            found.append(_warning_sign(item, x))


def _judge_temperature(items, answer, usual, treatment, found) -> None:
    for key, item, _default in items:
        x = answer(key)
        if x is None:
            continue
        t = x if type(x) is Decimal else Decimal(str(x))  # 38.2 as a float reads 38.2
        if (finding := _temperature(item, t, treatment)) is not None:
            found.append(finding)


def _judge_wellbeing(items, answer, usual, treatment, found) -> None:
    for key, item, _default in items:
        x = answer(key)
        if x is None:
            continue
        b = usual(key)
        if b is None:  # R13 needs a recorded baseline
            continue
        if x <= b - 3:
            found.append(_wellbeing(item, x, b))


def _kind_of(item: Item):
    """Which of the loops above judges `item`, from its class (and kind) in the catalogue."""
    if item.cls in (RED_FLAG, AMBER_FLAG):
        return _judge_warning_signs
    if item.cls == ABSOLUTE:
        return _judge_temperature
    if item.kind == WELLBEING:
        return _judge_wellbeing
    if item.cls in (COUNTED, CRITICAL, STANDARD):
        return _judge_against_baseline
    raise ValueError(f"no rule for item {item.key!r} of class {item.cls!r}")


def _default_baseline(item: Item):
    """The baseline of an item where none is recorded (REFERENCE.md, rule set v1)."""
    return DEFAULT_BASELINE[item.key] if item.kind == COUNT else DEFAULT_SCORE_BASELINE


# The catalogue read once, at import: its items in order, in runs judged alike,
# each item with its key and default baseline. Judging run by run keeps the
# catalogue's order (so the first invalid answer is the one that raises).
_BY_KIND = tuple(
    (judge, tuple((item.key, item, _default_baseline(item)) for item in items))
    for judge, items in groupby(ITEMS, key=_kind_of)
)
_KEYS = tuple(item.key for item in ITEMS)


def _base_findings(
    answers: Mapping[str, object], baseline: Mapping[str, object], treatment: Treatment
) -> list[Finding]:
    """Rules R1-R13 for each answered item, in catalogue order: at most one finding each.

    R4 replaces R3 and R9 for chest pain and very severe breathlessness. Unknown
    keys and unanswered items (None) give no finding.
    """
    answer = answers.get
    try:
        usual = baseline.get
    except AttributeError:  # not a mapping: an error only once an item is answered
        if any(answer(key) is not None for key in _KEYS):
            raise
        return []
    found: list[Finding] = []
    for judge, items in _BY_KIND:
        judge(items, answer, usual, treatment, found)
    return found


def _day_urgencies(
    history: Iterable[PastCheckIn], baseline: Mapping, treatment: Treatment
) -> dict[int, dict[str, str]]:
    """For each earlier day, each symptom's worst base urgency (R1-R13) that day.

    Every earlier check-in is judged, even when no finding today needs it, so
    that an invalid one raises as it always has.
    """
    days: dict[int, dict[str, str]] = {}
    for past in history:
        judged_against = past.baseline if past.baseline is not None else baseline
        worst = days.setdefault(past.days_ago, {})
        for found in _base_findings(past.answers, judged_against, treatment):
            worst[found.symptom] = highest((worst.get(found.symptom, GREEN), found.urgency))
    return days


def evaluate_check_in(
    answers: Mapping[str, object],
    baseline: Mapping[str, object] | None = None,
    *,
    history: Iterable[PastCheckIn] = (),
    treatment: Treatment | None = None,
) -> Evaluation:
    """Judge one check-in against the patient's baseline and recent days.

    1. Each answered item gets at most one finding from R1-R13 (R4 replaces R3
       and R9 for chest pain and very severe breathlessness).
    2. R14: an amber finding becomes red when that symptom was amber or higher
       on each of the two calendar days before (worst check-in of each day).
    3. R15: two or more different amber findings make the check-in red; each of
       them is raised to red, so that the flags and the routing agree.
    4. The overall urgency is the highest finding (emergency from R4).

    Unknown keys and unanswered items (None) give no finding.
    """
    if type(baseline) is not dict:  # a dict reads a None value as unrecorded already
        baseline = {k: v for k, v in (baseline or {}).items() if v is not None}
    treatment = treatment or _NO_TREATMENT
    findings = _base_findings(answers, baseline, treatment)
    past = _day_urgencies(history, baseline, treatment)
    if not findings:
        return Evaluation(GREEN)

    for i, f in enumerate(findings):
        if f.urgency == AMBER and all(
            RANK[past.get(day, {}).get(f.symptom, GREEN)] >= RANK[AMBER] for day in (1, 2)
        ):
            findings[i] = _raise(f, RED, "R14", "amber or higher on each of the 2 days before")

    ambers = [i for i, f in enumerate(findings) if f.urgency == AMBER]
    if len(ambers) >= 2:
        for i in ambers:
            findings[i] = _raise(findings[i], RED, "R15", f"{len(ambers)} amber findings today")

    findings.sort(key=lambda f: (-RANK[f.urgency], f.symptom))
    return Evaluation(findings[0].urgency, tuple(findings))  # sorted: most urgent first


def _raise(finding: Finding, urgency: str, rule: str, why: str) -> Finding:
    return Finding(
        finding.symptom,
        urgency,
        finding.rule,
        f"{finding.explanation}; {why}: {urgency} ({rule})",
        finding.value,
        finding.baseline,
        (*finding.raised_by, rule),
    )
