"""The bench's patients, in memory: a usual, runs of symptoms, and each day's answers
varied around the usual. Shared by bench/run.py (which writes them to the database)
and bench/engine_speed.py (which times the engine on them); pure, no database.

The same Random gives the same cohort: keep the order in which each function draws.
"""

import math
from decimal import Decimal
from random import Random

from clinical import catalogue

SCORES = [i for i in catalogue.ITEMS if i.kind == catalogue.SCORE]
STANDARD = [i.key for i in SCORES if i.cls == catalogue.STANDARD]
CRITICAL = [i.key for i in SCORES if i.cls == catalogue.CRITICAL]
YES_NO = [i.key for i in catalogue.ITEMS if i.kind == catalogue.YESNO]
RED_FLAGS = [i.key for i in catalogue.ITEMS if i.cls == catalogue.RED_FLAG]
AMBER_FLAGS = [i.key for i in catalogue.ITEMS if i.cls == catalogue.AMBER_FLAG]
# The symptoms immunotherapy most often brings, weighted: (kind of run, weight).
EPISODE_KINDS = (
    ("stools", 22),
    ("standard", 40),
    ("critical", 14),
    ("temperature", 10),
    ("wellbeing", 6),
    ("amber_flag", 6),
    ("red_flag", 2),
)
# Runs of symptoms per patient in 30 days (Poisson mean): tuned so that about a
# quarter of check-ins alert, near the third reported by trials of symptom monitoring.
EPISODES_PER_MONTH = 3.0


def usual_values(rng: Random) -> dict:
    """A patient's usual: mostly none or mild, some fatigue, 1-3 stools, wellbeing 6-9."""
    values = {i.key: rng.choices([0, 1, 2], [70, 25, 5])[0] for i in SCORES}
    values["fatigue"] = rng.choice([0, 1, 1, 2])
    values["stools_per_day"] = rng.choice([1, 1, 1, 2, 2, 3])
    values["wellbeing"] = rng.randint(6, 9)
    return values


def runs_of(rng: Random, days: int) -> list[dict]:
    """A patient's runs of symptoms: what deviates, from when, how long, how much."""
    runs = []
    for _ in range(poisson(rng, EPISODES_PER_MONTH * days / 30)):
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


def answers_for(rng: Random, usual: dict, runs: list[dict], day: int) -> dict:
    """A day's answers: the usual with small noise, plus any symptom running today."""
    answers = {}
    for item in SCORES:
        value = usual[item.key]
        noise = rng.random()
        if noise < 0.08 and value > 0:
            value -= 1  # a better day
        elif noise > 0.985 and item.cls == catalogue.STANDARD and value < 4:
            value += 1  # a small rise, recorded but green (R8)
        answers[item.key] = value
    answers["stools_per_day"] = max(0, usual["stools_per_day"] - (rng.random() < 0.15))
    answers["wellbeing"] = min(10, max(0, usual["wellbeing"] + rng.choice([-1, 0, 0, 0, 1])))
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
            answers[key] = max(0, usual["wellbeing"] + rise)
        elif key == "stools_per_day":
            answers[key] = min(catalogue.STOOLS_MAX, usual["stools_per_day"] + rise)
        else:
            answers[key] = min(4, usual[key] + rise)
    return answers


def poisson(rng: Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
