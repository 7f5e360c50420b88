"""The engine's fast path: the same verdicts as the rules written item by item, with
work only where an item deviates, and the CPU-time figure of bench/engine_speed.py.

`reference_evaluation` below is rule set v1 as the engine first wrote it (one method
call per answered item, the explanation built on the way): the oracle the table-driven
engine must agree with, verdict for verdict and error for error, on any input.
"""

import importlib.util
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinical import engine
from clinical.catalogue import (
    ABSOLUTE,
    AMBER_FLAG,
    COUNT,
    COUNTED,
    CRITICAL,
    ITEMS,
    RED_FLAG,
    SCORE,
    STANDARD,
    TEMPERATURE,
    WELLBEING,
    Item,
)
from clinical.engine import (
    DEFAULT_BASELINE,
    FEVER,
    LOW,
    RAISED,
    Finding,
    PastCheckIn,
    Treatment,
    evaluate_check_in,
)
from clinical.urgency import AMBER, EMERGENCY, GREEN, RANK, RED, highest

# The oracle: rule set v1 item by item, as written before the engine read the
# catalogue into tables (clinical/engine.py at cae840e).


def reference_finding(item: Item, x, baseline, treatment) -> Finding | None:
    b = baseline.get(item.key)
    if item.cls == RED_FLAG:
        if not x:
            return None
        if item.key == "chest_pain":
            return Finding(item.key, EMERGENCY, "R4", "Chest pain: yes (emergency sign)", x)
        return Finding(item.key, RED, "R3", f"{item.label}: yes (red-flag sign)", x)
    if item.cls == AMBER_FLAG:
        return Finding(item.key, AMBER, "R5", f"{item.label}: yes (warning sign)", x) if x else None
    if item.cls == ABSOLUTE:
        t = Decimal(str(x))
        shown = item.display(t)
        if t >= FEVER:
            return Finding(
                item.key, RED, "R11", f"temperature {shown}: fever (38.0 °C or above)", t
            )
        if RAISED <= t < FEVER or t < LOW:
            what = "raised (37.5-37.9 °C)" if t >= RAISED else "low (below 36.0 °C)"
            if treatment.with_chemotherapy:
                return Finding(
                    item.key, RED, "R12", f"temperature {shown}: {what}, with chemotherapy", t
                )
            return Finding(item.key, AMBER, "R12", f"temperature {shown}: {what}", t)
        return None
    if item.kind == WELLBEING:
        if b is None or not x <= b - 3:
            return None
        explanation = f"wellbeing {item.display(x)} vs baseline {item.display(b)}: {x - b}"
        return Finding(item.key, AMBER, "R13", explanation, x, b)
    if b is None:
        b = DEFAULT_BASELINE[item.key] if item.kind == COUNT else 0
    d = x - b
    if d <= 0:
        return None
    versus = f"{item.label.lower()} {item.display(x)} vs baseline {item.display(b)}: +{d}"
    if item.cls == COUNTED:
        if d >= 4:
            return Finding(item.key, RED, "R2", f"{versus} over baseline (grade 2-3)", x, b)
        return Finding(item.key, AMBER, "R1", f"{versus} over baseline (grade 1)", x, b)
    if item.cls == CRITICAL:
        if item.key == "shortness_of_breath" and x == 4:
            return Finding(item.key, EMERGENCY, "R4", f"{versus}; very severe", x, b)
        if x >= 3 or d >= 2:
            return Finding(item.key, RED, "R9", f"{versus} (critical symptom)", x, b)
        return Finding(item.key, AMBER, "R10", f"{versus} (critical symptom, small rise)", x, b)
    assert item.cls == STANDARD
    if x == 4:
        return Finding(item.key, RED, "R6", f"{versus}; very severe and worse", x, b)
    if x >= 3 or d >= 2:
        return Finding(item.key, AMBER, "R7", f"{versus}", x, b)
    return Finding(item.key, GREEN, "R8", f"{versus} (small rise, recorded)", x, b)


def reference_findings(answers, baseline, treatment) -> list[Finding]:
    found = []
    for item in ITEMS:
        value = answers.get(item.key)
        if value is not None and (f := reference_finding(item, value, baseline, treatment)):
            found.append(f)
    return found


def reference_raise(finding: Finding, rule: str, why: str) -> Finding:
    return Finding(
        finding.symptom,
        RED,
        finding.rule,
        f"{finding.explanation}; {why}: {RED} ({rule})",
        finding.value,
        finding.baseline,
        (*finding.raised_by, rule),
    )


def reference_evaluation(answers, baseline=None, *, history=(), treatment=None):
    baseline = {k: v for k, v in (baseline or {}).items() if v is not None}
    treatment = treatment or Treatment()
    findings = reference_findings(answers, baseline, treatment)
    days: dict = {}
    for past in history:
        judged_against = past.baseline if past.baseline is not None else baseline
        worst = days.setdefault(past.days_ago, {})
        for f in reference_findings(past.answers, judged_against, treatment):
            worst[f.symptom] = highest((worst.get(f.symptom, GREEN), f.urgency))
    for i, f in enumerate(findings):
        if f.urgency == AMBER and all(
            RANK[days.get(day, {}).get(f.symptom, GREEN)] >= RANK[AMBER] for day in (1, 2)
        ):
            findings[i] = reference_raise(f, "R14", "amber or higher on each of the 2 days before")
    ambers = [i for i, f in enumerate(findings) if f.urgency == AMBER]
    if len(ambers) >= 2:
        for i in ambers:
            findings[i] = reference_raise(findings[i], "R15", f"{len(ambers)} amber findings today")
    findings.sort(key=lambda f: (-RANK[f.urgency], f.symptom))
    return highest(f.urgency for f in findings), findings


def verdict(evaluate, *args, **kwargs):
    """Everything a caller can see of a verdict (every field, its type), or the error."""
    try:
        result = evaluate(*args, **kwargs)
    except Exception as error:  # an invalid input: the same error, the same message
        return ("error", type(error), str(error))
    if isinstance(result, tuple):
        urgency, findings = result
    else:
        urgency, findings = result.urgency, result.findings
    return (
        urgency,
        [
            (
                f.symptom,
                f.urgency,
                f.rule,
                f.explanation,
                repr(f.value),
                type(f.value),
                repr(f.baseline),
                type(f.baseline),
                f.raised_by,
            )
            for f in findings
        ],
    )


# Inputs: mostly what the forms and the database give, and some of what they never do.

ODD = st.sampled_from(
    [5, -1, 2.5, 3.0, 100, "3", "", True, Decimal("NaN"), float("nan"), float("inf"), []]
)


def value_of(item: Item):
    if item.kind == SCORE:
        valid = st.integers(0, 4)
    elif item.kind == COUNT:
        valid = st.integers(0, 50)
    elif item.kind == WELLBEING:
        valid = st.integers(0, 10)
    elif item.kind == TEMPERATURE:
        valid = st.decimals("34.0", "41.0", places=1) | st.sampled_from([37.5, 38, 35.95])
    else:
        valid = st.booleans()
    return st.one_of(valid, valid, valid, st.none(), ODD)


def answers_strategy(items=ITEMS):
    return st.fixed_dictionaries({}, optional={item.key: value_of(item) for item in items})


baselines = st.none() | answers_strategy([i for i in ITEMS if i.has_baseline])
history = st.lists(
    st.builds(
        PastCheckIn,
        st.sampled_from([1, 2, 3]),
        answers_strategy(),
        st.none() | baselines,
    ),
    max_size=3,
)
treatments = st.none() | st.builds(Treatment, st.booleans())


@settings(max_examples=120, deadline=None)
@given(answers=answers_strategy(), baseline=baselines, history=history, treatment=treatments)
def test_it_judges_any_input_as_the_rules_written_item_by_item(
    answers, baseline, history, treatment
):
    arguments = (answers, baseline)
    options = {"history": history, "treatment": treatment}
    assert verdict(evaluate_check_in, *arguments, **options) == verdict(
        reference_evaluation, *arguments, **options
    )


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.key)
def test_it_agrees_with_the_item_by_item_rules_on_every_value_of_an_item(item):
    values = {
        SCORE: range(5),
        COUNT: range(51),
        WELLBEING: range(11),
        TEMPERATURE: [Decimal(n) / 10 for n in range(340, 411)],
    }.get(item.kind, [False, True])
    recorded = [None, *range(4)] if item.kind != WELLBEING else [None, *range(11)]
    for chemotherapy in (False, True):
        for b in recorded if item.has_baseline else [None]:
            for value in values:
                arguments = ({item.key: value}, {item.key: b})
                options = {"treatment": Treatment(chemotherapy)}
                assert verdict(evaluate_check_in, *arguments, **options) == verdict(
                    reference_evaluation, *arguments, **options
                ), (item.key, value, b, chemotherapy)


# Invalid input raises as it always did, today's or an earlier day's.


@pytest.mark.parametrize(
    ("answers", "baseline", "error"),
    [
        ({"nausea": 5}, {}, IndexError),  # no sixth step on the scale
        ({"temperature_c": "warm"}, {}, InvalidOperation),
        ({"temperature_c": Decimal("NaN")}, {}, InvalidOperation),
        ({"stools_per_day": "3"}, {}, TypeError),
        ({"wellbeing": 2}, {"wellbeing": "8"}, TypeError),
        ([("nausea", 1)], {}, AttributeError),
    ],
)
def test_it_raises_for_an_invalid_answer_as_before(answers, baseline, error):
    with pytest.raises(error):
        evaluate_check_in(answers, baseline)
    with pytest.raises(error):
        reference_evaluation(answers, baseline)


def test_it_raises_for_an_invalid_earlier_check_in_even_when_today_needs_no_history():
    past = [PastCheckIn(1, {"nausea": 7})]
    with pytest.raises(IndexError):
        evaluate_check_in({"nausea": 0}, {}, history=past)


def test_it_reads_an_earlier_baseline_only_when_that_day_answered_something():
    unreadable = PastCheckIn(1, {}, baseline=["not", "a", "mapping"])
    assert evaluate_check_in({}, history=[unreadable]).urgency == GREEN
    answered = PastCheckIn(1, {"nausea": 1}, baseline=["not", "a", "mapping"])
    with pytest.raises(AttributeError):
        evaluate_check_in({}, history=[answered])


# Work only where an item deviates.


@pytest.fixture
def counted(monkeypatch):
    """Counts of findings made and values formatted for a clinician, while the engine runs."""
    counts = {"findings": 0, "displays": 0}

    class CountedFinding(Finding):
        def __init__(self, *args, **kwargs):
            counts["findings"] += 1
            super().__init__(*args, **kwargs)

    display = Item.display

    def counted_display(item, value):
        counts["displays"] += 1
        return display(item, value)

    monkeypatch.setattr(engine, "Finding", CountedFinding)
    monkeypatch.setattr(Item, "display", counted_display)
    return counts


def usual_day(baseline: dict) -> dict:
    answers = {item.key: baseline.get(item.key, False) for item in ITEMS}
    answers["temperature_c"] = Decimal("36.8")
    return answers


BASELINE = {item.key: 1 for item in ITEMS if item.has_baseline} | {"wellbeing": 8}


def test_it_makes_no_finding_and_no_text_for_a_day_at_the_usual(counted):
    history = [PastCheckIn(d, usual_day(BASELINE), BASELINE) for d in (1, 2)]
    evaluation = evaluate_check_in(usual_day(BASELINE), BASELINE, history=history)
    assert evaluation.findings == ()
    assert counted == {"findings": 0, "displays": 0}


def test_it_makes_text_only_for_the_item_that_deviates(counted):
    answers = usual_day(BASELINE) | {"cough": 3}
    history = [PastCheckIn(d, usual_day(BASELINE), BASELINE) for d in (1, 2)]
    evaluation = evaluate_check_in(answers, BASELINE, history=history)
    assert [f.symptom for f in evaluation.findings] == ["cough"]
    # One finding, its value and its baseline shown once each.
    assert counted == {"findings": 1, "displays": 2}


# bench/engine_speed.py


def engine_speed():
    path = Path(__file__).resolve().parents[2] / "bench" / "engine_speed.py"
    spec = importlib.util.spec_from_file_location("engine_speed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_cohort_is_the_same_for_a_seed_and_alerts_as_often_as_the_bench():
    speed = engine_speed()
    cases = speed.cohort(patients=40, days=30, seed=7)
    assert cases == speed.cohort(patients=40, days=30, seed=7)
    assert len(cases) == 40 * 30
    assert {p.days_ago for _, _, history, _ in cases for p in history} == {1, 2}
    alerting = sum(
        bool(evaluate_check_in(*c[:2], history=c[2], treatment=c[3]).alerting) for c in cases
    )
    assert 0.1 < alerting / len(cases) < 0.5  # about a quarter, as bench/run.py's cohort


def test_the_bench_counts_check_ins_judged_per_cpu_second():
    speed = engine_speed()
    with pytest.raises(ValueError):
        speed.engine_evals_per_cpu_second([])
    judged = []

    def counting(*args, **kwargs):
        judged.append(args)
        return evaluate_check_in(*args, **kwargs)

    speed.evaluate_check_in = counting
    cases = speed.cohort(patients=5, days=10)
    rate = speed.engine_evals_per_cpu_second(cases, seconds=1)
    assert rate > 0
    # A warm-up round, then whole rounds of the cohort for at least a CPU-second.
    assert len(judged) % len(cases) == 0
    assert len(judged) >= 2 * len(cases)
