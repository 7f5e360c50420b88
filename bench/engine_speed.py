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

import os
import sys
import time
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # bench/cohort.py, when imported from elsewhere

from django.conf import settings  # noqa: E402

if not settings.configured:  # run alone: the catalogue's gettext_noop reads USE_I18N only
    settings.configure()

from cohort import answers_for, runs_of, usual_values  # noqa: E402

from clinical.engine import PastCheckIn, Treatment, evaluate_check_in  # noqa: E402

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "1000"))
DAYS = int(os.environ.get("BENCH_DAYS", "30"))
SEED = int(os.environ.get("BENCH_SEED", "20261124"))
SECONDS = max(1.0, float(os.environ.get("ENGINE_SECONDS", "2")))


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
        baseline = usual_values(rng)
        runs = runs_of(rng, days)
        history: list[tuple[int, dict]] = []
        for day in range(days):
            answers = answers_for(rng, baseline, runs, day)
            past = [PastCheckIn(day - d, a, baseline) for d, a in history if day - d <= 2]
            cases.append((answers, baseline, past, treatment))
            history.append((day, answers))
    return cases


def main() -> None:
    cases = cohort()
    rate = engine_evals_per_cpu_second(cases, SECONDS)
    print(f"engine_check_ins={len(cases)}")
    print(f"engine_evals_per_cpu_second={rate:.0f}")


if __name__ == "__main__":
    main()
