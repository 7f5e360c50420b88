"""How many check-ins the pure engine judges per CPU-second, in-process.

    .venv/bin/python bench/engine_speed.py

builds a cohort like `make bench`'s (patients with a baseline and a treatment, a
check-in a day for BENCH_DAYS days, answers varied around the baseline with runs
of symptoms, each judged with the two days before) without a database, and
prints `engine_evals_per_cpu_second=<n>`. `bench/run.py` can call
`engine_evals_per_cpu_second(cases)` on its own cohort. Knobs (environment):
BENCH_PATIENTS (1000 here), BENCH_DAYS (30), BENCH_SEED, ENGINE_SECONDS (the CPU
time to measure for, at least 1).

CPU time (time.process_time), not wall-clock time: the machine is shared, and
the figure should not move with what else runs on it.
"""

import math
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

if not settings.configured:  # run alone: the catalogue's gettext_noop reads USE_I18N only
    settings.configure()

from clinical import catalogue  # noqa: E402
from clinical.engine import PastCheckIn, Treatment, evaluate_check_in  # noqa: E402

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "1000"))
DAYS = int(os.environ.get("BENCH_DAYS", "30"))
SEED = int(os.environ.get("BENCH_SEED", "20261124"))
SECONDS = max(1.0, float(os.environ.get("ENGINE_SECONDS", "2")))

SCORES = [i for i in catalogue.ITEMS if i.kind == catalogue.SCORE]
STANDARD = [i.key for i in SCORES if i.cls == catalogue.STANDARD]
CRITICAL = [i.key for i in SCORES if i.cls == catalogue.CRITICAL]
YES_NO = [i.key for i in catalogue.ITEMS if i.kind == catalogue.YESNO]
RED_FLAGS = [i.key for i in catalogue.ITEMS if i.cls == catalogue.RED_FLAG]
AMBER_FLAGS = [i.key for i in catalogue.ITEMS if i.cls == catalogue.AMBER_FLAG]
# The same mix of runs of symptoms as bench/run.py: (kind of run, weight).
EPISODE_KINDS = (
    ("stools", 22),
    ("standard", 40),
    ("critical", 14),
    ("temperature", 10),
    ("wellbeing", 6),
    ("amber_flag", 6),
    ("red_flag", 2),
)
EPISODES_PER_MONTH = 3.0


def engine_evals_per_cpu_second(cases, seconds: float = 1.0) -> float:
    """Check-ins judged per CPU-second by `evaluate_check_in`, over `cases`.

    `cases` is a list of (answers, baseline, history, treatment), as
    evaluate_check_in takes them. The whole list is judged once to warm up, then
    again and again until at least `seconds` (never under 1) of CPU time have
    passed; the figure is the check-ins judged over the CPU time they took.
    """
    if not cases:
        raise ValueError("no check-ins to judge")
    seconds = max(1.0, seconds)
    _judge_all(cases)  # warm-up: first calls, caches, memory
    judged, spent = 0, 0.0
    while spent < seconds:
        started = time.process_time()
        _judge_all(cases)
        spent += time.process_time() - started
        judged += len(cases)
    return judged / spent


def _judge_all(cases) -> None:
    evaluate = evaluate_check_in
    for answers, baseline, history, treatment in cases:
        evaluate(answers, baseline, history=history, treatment=treatment)


# A cohort like bench/run.py's, in memory.


def cohort(patients: int = PATIENTS, days: int = DAYS, seed: int = SEED) -> list[tuple]:
    """(answers, baseline, history, treatment) for each check-in of `patients` over `days`."""
    rng = Random(seed)
    cases = []
    for _ in range(patients):
        treatment = Treatment(
            with_chemotherapy=rng.random() < 0.2,
            status=rng.choices(["active", "held", "finished"], [85, 5, 10])[0],
        )
        baseline = _baseline(rng)
        runs = _runs(rng, days)
        history: list[tuple[int, dict]] = []
        for day in range(days):
            answers = _answers(rng, baseline, runs, day)
            past = [PastCheckIn(day - d, a, baseline) for d, a in history if day - d <= 2]
            cases.append((answers, baseline, past, treatment))
            history.append((day, answers))
    return cases


def _baseline(rng: Random) -> dict:
    values = {i.key: rng.choices([0, 1, 2], [70, 25, 5])[0] for i in SCORES}
    values["fatigue"] = rng.choice([0, 1, 1, 2])
    values["stools_per_day"] = rng.choice([1, 1, 1, 2, 2, 3])
    values["wellbeing"] = rng.randint(6, 9)
    return values


def _runs(rng: Random, days: int) -> list[dict]:
    """A patient's runs of symptoms: what deviates, from when, how long, how much."""
    runs = []
    for _ in range(_poisson(rng, EPISODES_PER_MONTH * days / 30)):
        kind = rng.choices([k for k, _ in EPISODE_KINDS], [w for _, w in EPISODE_KINDS])[0]
        start = rng.randrange(days)
        length = rng.choices([1, 2, 3, 4, 5, 6, 7], [15, 20, 20, 15, 12, 10, 8])[0]
        if kind == "stools":
            key, rise = "stools_per_day", rng.choices([1, 2, 3, 5], [35, 30, 15, 20])[0]
        elif kind == "standard":
            key, rise = rng.choice(STANDARD), rng.choices([1, 2, 3], [35, 50, 15])[0]
        elif kind == "critical":
            key, rise = rng.choice(CRITICAL), rng.choices([1, 2], [70, 30])[0]
        elif kind == "temperature":
            key, rise = "temperature_c", rng.choices([37.6, 37.8, 38.2, 38.6], [30, 30, 25, 15])[0]
        elif kind == "wellbeing":
            key, rise = "wellbeing", -rng.choice([3, 4])
        elif kind == "amber_flag":
            key, rise, length = rng.choice(AMBER_FLAGS), True, rng.choice([1, 2])
        else:
            key, rise, length = rng.choice(RED_FLAGS), True, 1
        runs.append({"key": key, "rise": rise, "days": range(start, start + length)})
    return runs


def _answers(rng: Random, baseline: dict, runs: list[dict], day: int) -> dict:
    """A day's answers: the usual with small noise, plus any symptom running today."""
    answers = {}
    for item in SCORES:
        usual = baseline[item.key]
        noise = rng.random()
        if noise < 0.08 and usual > 0:
            usual -= 1  # a better day
        elif noise > 0.985 and item.cls == catalogue.STANDARD and usual < 4:
            usual += 1  # a small rise, recorded but green (R8)
        answers[item.key] = usual
    answers["stools_per_day"] = max(0, baseline["stools_per_day"] - (rng.random() < 0.15))
    answers["wellbeing"] = min(10, max(0, baseline["wellbeing"] + rng.choice([-1, 0, 0, 0, 1])))
    answers.update(dict.fromkeys(YES_NO, False))
    if rng.random() < 0.3:
        answers["temperature_c"] = Decimal(str(round(rng.uniform(36.2, 37.2), 1)))
    for run in runs:
        if day not in run["days"] or (day != run["days"][0] and rng.random() < 0.15):
            continue
        key, rise = run["key"], run["rise"]
        if key == "temperature_c":
            answers[key] = Decimal(str(rise))
        elif key in YES_NO:
            answers[key] = True
        elif key == "wellbeing":
            answers[key] = max(0, baseline["wellbeing"] + rise)
        elif key == "stools_per_day":
            answers[key] = min(catalogue.STOOLS_MAX, baseline["stools_per_day"] + rise)
        else:
            answers[key] = min(4, baseline[key] + rise)
    return answers


def _poisson(rng: Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def main() -> None:
    cases = cohort()
    rate = engine_evals_per_cpu_second(cases, SECONDS)
    print(f"engine_check_ins={len(cases)}")
    print(f"engine_evals_per_cpu_second={rate:.0f}")


if __name__ == "__main__":
    main()
