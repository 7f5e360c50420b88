"""Rule set v1 (shared/clinical/REFERENCE.md) through the pure engine, rule by rule."""

from decimal import Decimal

import pytest

from clinical.catalogue import (
    ABSOLUTE,
    AMBER_FLAG,
    COUNT,
    CRITICAL,
    ITEMS,
    RED_FLAG,
    SCORE,
    STANDARD,
    TEMPERATURE,
    WELLBEING,
    YESNO,
)
from clinical.engine import (
    Evaluation,
    Finding,
    PastCheckIn,
    Treatment,
    evaluate_check_in,
)
from clinical.urgency import AMBER, EMERGENCY, GREEN, RED

# The catalogue's classes as REFERENCE.md lists them ("The catalogue").
STANDARD_ITEMS = [
    "nausea",
    "vomiting",
    "appetite_loss",
    "mouth_sores",
    "rash",
    "itching",
    "fatigue",
    "cough",
    "joint_pain",
    "anxiety",
    "low_mood",
]
CRITICAL_ITEMS = [
    "abdominal_pain",
    "shortness_of_breath",
    "palpitations",
    "headache",
    "vision_change",
    "dizziness",
    "muscle_weakness",
]
CRITICAL_NOT_BREATH = [key for key in CRITICAL_ITEMS if key != "shortness_of_breath"]
RED_FLAGS = [
    "chest_pain",
    "stool_blood_or_mucus",
    "yellow_skin_or_eyes",
    "confusion",
    "skin_blistering",
    "fainting",
]
RED_FLAGS_NOT_CHEST = [key for key in RED_FLAGS if key != "chest_pain"]
AMBER_FLAGS = ["dark_urine", "less_urine", "thirst_and_urination"]

CHEMO = Treatment(with_chemotherapy=True)
NO_CHEMO = Treatment(with_chemotherapy=False)


def evaluate(answers, baseline=None, **kwargs) -> Evaluation:
    return evaluate_check_in(answers, baseline, **kwargs)


def only_finding(evaluation: Evaluation) -> Finding:
    assert len(evaluation.findings) == 1, evaluation.findings
    return evaluation.findings[0]


def assert_single(evaluation: Evaluation, symptom: str, urgency: str, rule: str) -> Finding:
    finding = only_finding(evaluation)
    assert (finding.symptom, finding.urgency, finding.rule) == (symptom, urgency, rule)
    assert evaluation.urgency == urgency
    assert evaluation.alerting == ([] if urgency == GREEN else [symptom])
    return finding


def days(*runs):
    """History from (days_ago, answers) or (days_ago, answers, baseline) tuples."""
    return [PastCheckIn(*run) for run in runs]


# The catalogue matches the reference ------------------------------------------------------


def test_it_classes_the_catalogue_items_as_the_reference_does():
    by_class = {}
    for item in ITEMS:
        by_class.setdefault(item.cls, []).append(item.key)
    assert sorted(by_class[STANDARD]) == sorted(STANDARD_ITEMS)
    assert sorted(by_class[CRITICAL]) == sorted(CRITICAL_ITEMS)
    assert sorted(by_class[RED_FLAG]) == sorted(RED_FLAGS)
    assert sorted(by_class[AMBER_FLAG]) == sorted(AMBER_FLAGS)
    assert by_class[ABSOLUTE] == ["temperature_c"]


# R1 and R2: stools counted against baseline ----------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "stools"),
    [(1, 2), (1, 3), (1, 4), (2, 5), (0, 3)],
    ids=["d=1", "d=2", "d=3", "d=3 over 2", "d=3 over 0"],
)
def test_it_gives_amber_r1_for_one_to_three_stools_over_baseline(baseline, stools):
    finding = assert_single(
        evaluate({"stools_per_day": stools}, {"stools_per_day": baseline}),
        "stools_per_day",
        AMBER,
        "R1",
    )
    assert (finding.value, finding.baseline) == (stools, baseline)


@pytest.mark.parametrize(
    ("baseline", "stools"),
    [(1, 5), (2, 6), (1, 8), (0, 4), (3, 20)],
    ids=["d=4", "d=4 over 2", "d=7", "d=4 over 0", "d=17"],
)
def test_it_gives_red_r2_for_four_or_more_stools_over_baseline(baseline, stools):
    assert_single(
        evaluate({"stools_per_day": stools}, {"stools_per_day": baseline}),
        "stools_per_day",
        RED,
        "R2",
    )


@pytest.mark.parametrize("stools", [0, 1, 2, 3])
def test_it_gives_no_stool_finding_at_or_below_baseline(stools):
    assert evaluate({"stools_per_day": stools}, {"stools_per_day": 3}).findings == ()


@pytest.mark.parametrize(
    ("stools", "expected"),
    [(0, None), (1, None), (2, ("R1", AMBER)), (4, ("R1", AMBER)), (5, ("R2", RED))],
)
def test_it_takes_one_stool_a_day_as_baseline_when_none_is_recorded(stools, expected):
    evaluation = evaluate({"stools_per_day": stools}, {})
    if expected is None:
        assert evaluation.findings == ()
        assert evaluation.urgency == GREEN
    else:
        finding = assert_single(evaluation, "stools_per_day", expected[1], expected[0])
        assert finding.baseline == 1


# R3 and R4: red flags and emergencies ---------------------------------------------------


@pytest.mark.parametrize("key", RED_FLAGS_NOT_CHEST)
def test_it_gives_red_r3_for_a_red_flag_answered_yes(key):
    assert_single(evaluate({key: True}), key, RED, "R3")


@pytest.mark.parametrize("key", RED_FLAGS)
def test_it_gives_no_finding_for_a_red_flag_answered_no(key):
    evaluation = evaluate({key: False})
    assert evaluation.findings == ()
    assert evaluation.urgency == GREEN


def test_it_gives_an_emergency_r4_for_chest_pain():
    assert_single(evaluate({"chest_pain": True}), "chest_pain", EMERGENCY, "R4")


@pytest.mark.parametrize("baseline", [None, 0, 1, 2, 3])
def test_it_gives_an_emergency_r4_for_very_severe_shortness_of_breath(baseline):
    base = {} if baseline is None else {"shortness_of_breath": baseline}
    assert_single(
        evaluate({"shortness_of_breath": 4}, base), "shortness_of_breath", EMERGENCY, "R4"
    )


def test_it_gives_red_not_emergency_for_severe_shortness_of_breath():
    assert_single(evaluate({"shortness_of_breath": 3}), "shortness_of_breath", RED, "R9")


@pytest.mark.parametrize("key", CRITICAL_NOT_BREATH)
def test_it_keeps_other_critical_items_at_4_red_not_emergency(key):
    assert_single(evaluate({key: 4}), key, RED, "R9")


def test_it_makes_the_whole_check_in_an_emergency_when_chest_pain_comes_with_other_findings():
    evaluation = evaluate(
        {"chest_pain": True, "nausea": 3, "dark_urine": True, "stools_per_day": 9},
        {"stools_per_day": 1},
    )
    assert evaluation.urgency == EMERGENCY
    assert evaluation.alerting == ["chest_pain", "dark_urine", "nausea", "stools_per_day"]
    assert evaluation.findings[0].symptom == "chest_pain"


# R5: amber flags -------------------------------------------------------------------------


@pytest.mark.parametrize("key", AMBER_FLAGS)
def test_it_gives_amber_r5_for_an_amber_flag_answered_yes(key):
    assert_single(evaluate({key: True}), key, AMBER, "R5")


@pytest.mark.parametrize("key", AMBER_FLAGS)
def test_it_gives_no_finding_for_an_amber_flag_answered_no(key):
    assert evaluate({key: False}).findings == ()


# R6 to R8: standard 0-4 items ------------------------------------------------------------


@pytest.mark.parametrize("key", STANDARD_ITEMS)
@pytest.mark.parametrize("baseline", [0, 1, 2, 3])
def test_it_gives_red_r6_for_a_standard_item_at_4_above_baseline(key, baseline):
    assert_single(evaluate({key: 4}, {key: baseline}), key, RED, "R6")


@pytest.mark.parametrize("key", STANDARD_ITEMS)
def test_it_gives_no_finding_for_a_standard_item_at_4_when_that_is_the_baseline(key):
    assert evaluate({key: 4}, {key: 4}).findings == ()


@pytest.mark.parametrize(
    ("baseline", "value"),
    [(0, 3), (1, 3), (2, 3), (0, 2)],
    ids=["x=3 d=3", "x=3 d=2", "x=3 d=1", "x=2 d=2"],
)
@pytest.mark.parametrize("key", STANDARD_ITEMS)
def test_it_gives_amber_r7_for_a_standard_item_at_3_or_two_above_baseline(key, baseline, value):
    assert_single(evaluate({key: value}, {key: baseline}), key, AMBER, "R7")


@pytest.mark.parametrize(("baseline", "value"), [(0, 1), (1, 2)], ids=["x=1", "x=2"])
@pytest.mark.parametrize("key", STANDARD_ITEMS)
def test_it_records_a_green_r8_for_a_standard_item_one_above_baseline(key, baseline, value):
    evaluation = evaluate({key: value}, {key: baseline})
    finding = assert_single(evaluation, key, GREEN, "R8")
    assert not finding.alerting
    assert evaluation.alerting_findings == ()


@pytest.mark.parametrize(("baseline", "value"), [(0, 0), (2, 2), (3, 1), (3, 3)])
@pytest.mark.parametrize("key", STANDARD_ITEMS + CRITICAL_ITEMS)
def test_it_gives_no_finding_for_a_score_at_or_below_baseline(key, baseline, value):
    assert evaluate({key: value}, {key: baseline}).findings == ()


# R9 and R10: critical 0-4 items ----------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "value"),
    [(0, 3), (2, 3), (0, 2), (1, 3), (3, 4), (0, 4)],
    ids=["x=3 d=3", "x=3 d=1", "x=2 d=2", "x=3 d=2", "x=4 d=1", "x=4 d=4"],
)
@pytest.mark.parametrize("key", CRITICAL_NOT_BREATH)
def test_it_gives_red_r9_for_a_critical_item_at_3_or_two_above_baseline(key, baseline, value):
    assert_single(evaluate({key: value}, {key: baseline}), key, RED, "R9")


@pytest.mark.parametrize(
    ("baseline", "value"), [(0, 3), (2, 3), (0, 2)], ids=["x=3 d=3", "x=3 d=1", "x=2 d=2"]
)
def test_it_gives_red_r9_for_shortness_of_breath_below_4(baseline, value):
    assert_single(
        evaluate({"shortness_of_breath": value}, {"shortness_of_breath": baseline}),
        "shortness_of_breath",
        RED,
        "R9",
    )


@pytest.mark.parametrize(("baseline", "value"), [(0, 1), (1, 2)], ids=["x=1", "x=2"])
@pytest.mark.parametrize("key", CRITICAL_ITEMS)
def test_it_gives_amber_r10_for_a_critical_item_one_above_baseline(key, baseline, value):
    assert_single(evaluate({key: value}, {key: baseline}), key, AMBER, "R10")


# R11 and R12: temperature ----------------------------------------------------------------


@pytest.mark.parametrize("treatment", [None, NO_CHEMO, CHEMO], ids=["none", "no chemo", "chemo"])
@pytest.mark.parametrize("temperature", [38.0, Decimal("38.0"), 38.1, 39.5, 41])
def test_it_gives_red_r11_for_a_temperature_of_38_or_above(temperature, treatment):
    assert_single(
        evaluate({"temperature_c": temperature}, treatment=treatment),
        "temperature_c",
        RED,
        "R11",
    )


@pytest.mark.parametrize("temperature", [37.5, Decimal("37.5"), 37.9, 37.99, 35.9, 35.0, 33])
def test_it_gives_amber_r12_for_a_raised_or_low_temperature_without_chemotherapy(temperature):
    for treatment in (None, NO_CHEMO):
        assert_single(
            evaluate({"temperature_c": temperature}, treatment=treatment),
            "temperature_c",
            AMBER,
            "R12",
        )


@pytest.mark.parametrize("temperature", [37.5, 37.9, 35.9, 35.0])
def test_it_gives_red_r12_for_a_raised_or_low_temperature_with_chemotherapy(temperature):
    assert_single(
        evaluate({"temperature_c": temperature}, treatment=CHEMO), "temperature_c", RED, "R12"
    )


@pytest.mark.parametrize("treatment", [None, CHEMO], ids=["no chemo", "chemo"])
@pytest.mark.parametrize("temperature", [36.0, Decimal("36.0"), 36.8, 37.0, 37.4, 37.49])
def test_it_gives_no_finding_for_a_temperature_in_range(temperature, treatment):
    assert evaluate({"temperature_c": temperature}, treatment=treatment).findings == ()


def test_it_ignores_a_baseline_for_the_temperature():
    assert_single(
        evaluate({"temperature_c": 37.6}, {"temperature_c": 37.8}), "temperature_c", AMBER, "R12"
    )


# R13: wellbeing --------------------------------------------------------------------------


@pytest.mark.parametrize(("baseline", "value"), [(8, 5), (8, 0), (10, 7), (3, 0)])
def test_it_gives_amber_r13_when_wellbeing_falls_three_or_more_below_baseline(baseline, value):
    finding = assert_single(
        evaluate({"wellbeing": value}, {"wellbeing": baseline}), "wellbeing", AMBER, "R13"
    )
    assert (finding.value, finding.baseline) == (value, baseline)


@pytest.mark.parametrize("value", [6, 7, 8, 9, 10])
def test_it_gives_no_wellbeing_finding_within_two_of_baseline_or_above_it(value):
    assert evaluate({"wellbeing": value}, {"wellbeing": 8}).findings == ()


@pytest.mark.parametrize("value", [0, 1, 5, 10])
def test_it_gives_no_wellbeing_finding_without_a_recorded_baseline(value):
    assert evaluate({"wellbeing": value}, {}).findings == ()
    assert evaluate({"wellbeing": value}, {"wellbeing": None}).findings == ()
    assert evaluate({"wellbeing": value}).findings == ()


# R14: persistence ------------------------------------------------------------------------


def test_it_raises_an_amber_to_red_when_it_was_amber_on_each_of_the_two_days_before():
    evaluation = evaluate(
        {"fatigue": 3},
        {"fatigue": 0},
        history=days((1, {"fatigue": 3}), (2, {"fatigue": 3})),
    )
    finding = assert_single(evaluation, "fatigue", RED, "R7")
    assert finding.raised_by == ("R14",)
    assert "R14" in finding.explanation


def test_it_counts_a_red_day_before_as_amber_or_higher_for_persistence():
    evaluation = evaluate(
        {"fatigue": 3},
        history=days((1, {"fatigue": 4}), (2, {"fatigue": 3})),
    )
    assert only_finding(evaluation).raised_by == ("R14",)
    assert evaluation.urgency == RED


@pytest.mark.parametrize(
    "history",
    [
        days((1, {"fatigue": 3})),
        days((2, {"fatigue": 3})),
        days((1, {"fatigue": 3}), (3, {"fatigue": 3})),
        days((1, {"fatigue": 3}), (3, {"fatigue": 3}), (4, {"fatigue": 3})),
        days((2, {"fatigue": 3}), (3, {"fatigue": 3})),
    ],
    ids=[
        "only yesterday",
        "only the day before",
        "day 2 missing",
        "day 2 missing, 3-4",
        "day 1 missing",
    ],
)
def test_it_does_not_raise_for_persistence_when_a_day_is_missing(history):
    evaluation = evaluate({"fatigue": 3}, history=history)
    finding = assert_single(evaluation, "fatigue", AMBER, "R7")
    assert finding.raised_by == ()


@pytest.mark.parametrize(
    "history",
    [
        days((1, {"fatigue": 1}), (2, {"fatigue": 3})),
        days((1, {"fatigue": 3}), (2, {"fatigue": 0})),
        days((1, {"fatigue": 3}), (2, {"nausea": 3})),
        days((1, {"fatigue": 3}), (2, {"fatigue": None})),
    ],
    ids=["green yesterday", "nothing the day before", "another symptom", "unanswered"],
)
def test_it_does_not_raise_for_persistence_when_a_day_is_below_amber(history):
    evaluation = evaluate({"fatigue": 3}, history=history)
    assert only_finding(evaluation).raised_by == ()
    assert evaluation.urgency == AMBER


def test_it_counts_a_day_by_its_worst_check_in_for_that_symptom():
    history = days(
        (1, {"fatigue": 1}),
        (1, {"fatigue": 3}),
        (1, {"fatigue": 0}),
        (2, {"fatigue": 0}),
        (2, {"fatigue": 2}),
    )
    evaluation = evaluate({"fatigue": 3}, history=history)
    assert only_finding(evaluation).raised_by == ("R14",)
    assert evaluation.urgency == RED


def test_it_judges_past_check_ins_against_their_own_baseline():
    # Back then fatigue 3 was the patient's normal, so the run is broken.
    history = days((1, {"fatigue": 3}, {"fatigue": 3}), (2, {"fatigue": 3}, {"fatigue": 3}))
    evaluation = evaluate({"fatigue": 3}, {"fatigue": 0}, history=history)
    assert evaluation.urgency == AMBER
    assert only_finding(evaluation).raised_by == ()


def test_it_raises_for_persistence_when_past_baselines_made_those_days_amber():
    # Today's baseline is 2, but on the days before it was 0, so 2 was amber then.
    history = days((1, {"fatigue": 2}, {"fatigue": 0}), (2, {"fatigue": 2}, {"fatigue": 0}))
    evaluation = evaluate({"fatigue": 3}, {"fatigue": 2}, history=history)
    assert only_finding(evaluation).raised_by == ("R14",)
    assert evaluation.urgency == RED


def test_it_judges_past_check_ins_without_their_own_baseline_against_todays():
    history = days((1, {"fatigue": 2}), (2, {"fatigue": 2}))
    assert evaluate({"fatigue": 3}, {"fatigue": 2}, history=history).urgency == AMBER
    assert evaluate({"fatigue": 3}, {"fatigue": 0}, history=history).urgency == RED


@pytest.mark.parametrize(
    ("answers", "baseline", "symptom"),
    [
        ({"stools_per_day": 3}, {"stools_per_day": 1}, "stools_per_day"),
        ({"headache": 1}, {}, "headache"),
        ({"dark_urine": True}, {}, "dark_urine"),
        ({"temperature_c": 37.6}, {}, "temperature_c"),
        ({"wellbeing": 4}, {"wellbeing": 8}, "wellbeing"),
    ],
)
def test_it_applies_persistence_to_every_kind_of_amber_finding(answers, baseline, symptom):
    history = days((1, answers), (2, answers))
    evaluation = evaluate(answers, baseline, history=history)
    finding = only_finding(evaluation)
    assert (finding.symptom, finding.urgency, finding.raised_by) == (symptom, RED, ("R14",))


def test_it_leaves_a_red_finding_alone_for_persistence():
    history = days((1, {"fatigue": 4}), (2, {"fatigue": 4}))
    finding = only_finding(evaluate({"fatigue": 4}, history=history))
    assert (finding.urgency, finding.rule, finding.raised_by) == (RED, "R6", ())


def test_it_leaves_a_green_finding_green_after_amber_days():
    history = days((1, {"fatigue": 3}), (2, {"fatigue": 3}))
    evaluation = evaluate({"fatigue": 1}, history=history)
    assert evaluation.urgency == GREEN
    assert only_finding(evaluation).raised_by == ()


# R15: combination ------------------------------------------------------------------------


def test_it_makes_the_check_in_red_for_two_different_amber_findings():
    evaluation = evaluate({"nausea": 3, "dark_urine": True})
    assert evaluation.urgency == RED
    assert evaluation.alerting == ["dark_urine", "nausea"]
    for finding in evaluation.findings:
        assert finding.urgency == RED
        assert finding.raised_by == ("R15",)
    assert {f.rule for f in evaluation.findings} == {"R7", "R5"}


def test_it_makes_the_check_in_red_for_three_amber_findings_of_different_kinds():
    evaluation = evaluate(
        {"stools_per_day": 2, "headache": 1, "temperature_c": 37.7, "wellbeing": 5},
        {"stools_per_day": 1, "wellbeing": 8},
    )
    assert evaluation.urgency == RED
    assert [f.raised_by for f in evaluation.findings] == [("R15",)] * 4


def test_it_keeps_one_amber_with_one_red_as_red_without_combination():
    evaluation = evaluate({"nausea": 3, "stool_blood_or_mucus": True})
    assert evaluation.urgency == RED
    by_symptom = {f.symptom: f for f in evaluation.findings}
    assert by_symptom["stool_blood_or_mucus"].urgency == RED
    assert by_symptom["nausea"].urgency == AMBER
    assert by_symptom["nausea"].raised_by == ()


def test_it_keeps_one_amber_with_green_findings_amber():
    evaluation = evaluate({"nausea": 3, "fatigue": 1, "cough": 1})
    assert evaluation.urgency == AMBER
    assert evaluation.alerting == ["nausea"]
    assert all(f.raised_by == () for f in evaluation.findings)


def test_it_keeps_an_emergency_above_a_combination_of_ambers():
    evaluation = evaluate({"nausea": 3, "dark_urine": True, "chest_pain": True})
    assert evaluation.urgency == EMERGENCY
    by_symptom = {f.symptom: f for f in evaluation.findings}
    assert by_symptom["nausea"].urgency == RED
    assert by_symptom["dark_urine"].urgency == RED


def test_it_makes_the_check_in_red_when_one_amber_persisted_and_another_is_new():
    history = days((1, {"fatigue": 3}), (2, {"fatigue": 3}))
    evaluation = evaluate({"fatigue": 3, "nausea": 3}, history=history)
    assert evaluation.urgency == RED
    by_symptom = {f.symptom: f for f in evaluation.findings}
    assert by_symptom["fatigue"].urgency == RED
    assert "R14" in by_symptom["fatigue"].raised_by


# Overall evaluation, unanswered items and defaults ----------------------------------------


def test_it_is_green_with_no_findings_for_an_empty_check_in():
    evaluation = evaluate({})
    assert (evaluation.urgency, evaluation.findings, evaluation.alerting) == (GREEN, (), [])
    assert evaluation.rule_set == "v1"


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.key)
def test_it_gives_no_finding_for_an_unanswered_item(item):
    baseline = {item.key: 8} if item.kind == WELLBEING else {}
    assert evaluate({item.key: None}, baseline).findings == ()
    assert evaluate({}, baseline).findings == ()


def test_it_ignores_unknown_keys():
    assert evaluate({"not_an_item": 4, "nausea": None}).findings == ()


@pytest.mark.parametrize("key", STANDARD_ITEMS + CRITICAL_ITEMS)
def test_it_takes_0_as_baseline_for_a_score_with_none_recorded(key):
    assert evaluate({key: 0}).findings == ()
    for baseline in ({}, {key: None}):
        finding = only_finding(evaluate({key: 1}, baseline))
        assert finding.baseline == 0
        assert finding.rule == ("R8" if key in STANDARD_ITEMS else "R10")


def _alerting_value(item):
    if item.kind == SCORE:
        return 4, {}
    if item.kind == COUNT:
        return 10, {}
    if item.kind == WELLBEING:
        return 0, {item.key: 10}
    if item.kind == TEMPERATURE:
        return Decimal("39.0"), {}
    assert item.kind == YESNO
    return True, {}


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.key)
def test_it_has_a_rule_that_alerts_for_every_catalogue_item(item):
    value, baseline = _alerting_value(item)
    evaluation = evaluate({item.key: value}, baseline)
    finding = only_finding(evaluation)
    assert finding.symptom == item.key
    assert finding.alerting
    assert evaluation.alerting == [item.key]
    assert finding.explanation


def test_it_sorts_findings_by_urgency_then_symptom():
    evaluation = evaluate(
        {"nausea": 1, "fatigue": 4, "cough": 4, "dark_urine": True, "chest_pain": True}
    )
    assert [(f.symptom, f.urgency) for f in evaluation.findings] == [
        ("chest_pain", EMERGENCY),
        ("cough", RED),
        ("fatigue", RED),
        ("dark_urine", AMBER),
        ("nausea", GREEN),
    ]
    assert evaluation.alerting == ["chest_pain", "cough", "dark_urine", "fatigue"]


def test_it_describes_a_finding_as_a_dict_for_the_clinician():
    finding = only_finding(evaluate({"stools_per_day": 6}, {"stools_per_day": 2}))
    assert finding.as_dict() == {
        "symptom": "stools_per_day",
        "urgency": RED,
        "rule": "R2",
        "raised_by": [],
        "explanation": finding.explanation,
    }
    assert "6/day" in finding.explanation
    assert "2/day" in finding.explanation
