"""The deviation engine: rule set v1 of shared/clinical/REFERENCE.md.

A pure function: answers, baseline and recent days in, findings out. No
database, no network, no clock. The check-in view runs it to show advice at
once; the worker runs the same function to create flags and alerts.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

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


@dataclass
class _Rules:
    baseline: Mapping[str, object]
    treatment: Treatment = field(default_factory=Treatment)

    def base(self, item: Item, b):
        if b is not None:
            return b
        if item.kind == COUNT:
            return DEFAULT_BASELINE[item.key]
        return DEFAULT_SCORE_BASELINE

    def finding(self, item: Item, x) -> Finding | None:
        """Rules R1-R13 for one answered item, before persistence and combination."""
        b = self.baseline.get(item.key)
        if item.cls == RED_FLAG:
            return self._red_flag(item, x)
        if item.cls == AMBER_FLAG:
            return (
                Finding(item.key, AMBER, "R5", f"{item.label}: yes (warning sign)", x)
                if x
                else None
            )
        if item.cls == ABSOLUTE:
            return self._temperature(item, Decimal(str(x)))
        if item.kind == WELLBEING:
            return self._wellbeing(item, x, b)
        b = self.base(item, b)
        d = x - b
        if d <= 0:  # at or below baseline: the patient's normal
            return None
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
        if item.cls == STANDARD:
            if x == 4:
                return Finding(item.key, RED, "R6", f"{versus}; very severe and worse", x, b)
            if x >= 3 or d >= 2:
                return Finding(item.key, AMBER, "R7", f"{versus}", x, b)
            return Finding(item.key, GREEN, "R8", f"{versus} (small rise, recorded)", x, b)
        raise ValueError(f"no rule for item {item.key!r} of class {item.cls!r}")

    def _red_flag(self, item: Item, x) -> Finding | None:
        if not x:
            return None
        if item.key == "chest_pain":
            return Finding(item.key, EMERGENCY, "R4", "Chest pain: yes (emergency sign)", x)
        return Finding(item.key, RED, "R3", f"{item.label}: yes (red-flag sign)", x)

    def _temperature(self, item: Item, t: Decimal) -> Finding | None:
        shown = item.display(t)
        if t >= FEVER:
            return Finding(
                item.key, RED, "R11", f"temperature {shown}: fever (38.0 °C or above)", t
            )
        if RAISED <= t < FEVER or t < LOW:
            what = "raised (37.5-37.9 °C)" if t >= RAISED else "low (below 36.0 °C)"
            if self.treatment.with_chemotherapy:
                return Finding(
                    item.key, RED, "R12", f"temperature {shown}: {what}, with chemotherapy", t
                )
            return Finding(item.key, AMBER, "R12", f"temperature {shown}: {what}", t)
        return None

    def _wellbeing(self, item: Item, x, b) -> Finding | None:
        if b is None:  # R13 needs a recorded baseline
            return None
        if x <= b - 3:
            return Finding(
                item.key,
                AMBER,
                "R13",
                f"wellbeing {item.display(x)} vs baseline {item.display(b)}: {x - b}",
                x,
                b,
            )
        return None


def _answered(answers: Mapping[str, object]):
    for item in ITEMS:
        value = answers.get(item.key)
        if value is not None:
            yield item, value


def _day_urgencies(
    history: Iterable[PastCheckIn], baseline: Mapping, treatment: Treatment
) -> dict[int, dict[str, str]]:
    """For each earlier day, each symptom's worst base urgency (R1-R13) that day."""
    days: dict[int, dict[str, str]] = {}
    for past in history:
        rules = _Rules(past.baseline if past.baseline is not None else baseline, treatment)
        worst = days.setdefault(past.days_ago, {})
        for item, value in _answered(past.answers):
            found = rules.finding(item, value)
            if found is not None:
                worst[item.key] = highest((worst.get(item.key, GREEN), found.urgency))
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
    baseline = {k: v for k, v in (baseline or {}).items() if v is not None}
    treatment = treatment or Treatment()
    rules = _Rules(baseline, treatment)
    findings = [f for item, value in _answered(answers) if (f := rules.finding(item, value))]

    past = _day_urgencies(history, baseline, treatment)
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
    return Evaluation(highest(f.urgency for f in findings), tuple(findings))


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
