"""`make bench`: the care team's workspace and the check-in path at hospital scale, on
PostgreSQL (with its statistics, as production has them).

1. Sets up Django on a throwaway database: the DATABASE_URL given (which must hold
   no patients); else, when PostgreSQL answers on 127.0.0.1:5432, a database of its
   own (symptom_tracker_bench, dropped and made again, PostgreSQL started if it is
   installed and down); else a SQLite file in a temporary directory (whose figures
   are not the acceptance figures: the line `database=` says which).
2. Seeds a cohort in two steps, BENCH_SMALL patients (1,000) and then the rest up
   to BENCH_PATIENTS (10,000), measuring the pages after each (see `seed`): care
   teams with the vignettes' contact list, a nurse each, patients with a treatment
   and a baseline, and a check-in a day for 30 days each, answers varied around each
   patient's baseline with episodes of symptoms. Every check-in is judged by the
   real engine (clinical.engine.evaluate_check_in, with the 2 days before and the
   treatment), in memory; flags, episodes and alerts are written with bulk_create,
   and the team's work is simulated: each episode acknowledged after a delay drawn
   per urgency, resolved some hours later, an alert escalated once per window it
   waited. No notifications are written (no page measured shows them). The team
   figures' per-day rows are computed as the worker keeps them. Then `ANALYZE`.
3. Renders, as a logged-in nurse (second factor included) with Django's test client,
   BENCH_RUNS times each after a warm-up, counting SQL queries: the triage queue
   (full, and the 30-second `?partial=1` refresh), a patient page (the team's patient
   with the most flags), a flag page (the newest flag of the team's largest
   episode) and the team's figures.
4. A hostile patient: one patient of the nurse's team sends HOSTILE_CHECK_INS (5,000)
   red check-ins, every one joining one open episode; the queue, the flag page and
   the patient page again (`*_hostile_*`).
5. The engine's speed on a sample of the cohort's check-ins, in-process
   (`engine_evals_per_cpu_second`, bench/engine_speed.py), and the real path on a
   sample (patients.services.check_ins.evaluate, which reads the check-in's history
   and treatment from the database), checked to agree with the seeded verdicts.
6. The check-in path over HTTP (bench/http_bench.py, in a process of its own, on
   PostgreSQL and Redis): throughput against a one-row insert under the same
   gunicorn, and a red check-in's latency to its first alert, idle and loaded.

Prints `name=value` lines on stdout and progress on stderr. Knobs (environment):
BENCH_PATIENTS (10000), BENCH_SMALL (1000), BENCH_DAYS (30), BENCH_TEAMS (4),
BENCH_RUNS (30), BENCH_SEED (random seed), BENCH_HOSTILE (5000), BENCH_HTTP=0 (skip
step 6), BENCH_STAGES=seed (seed only, for bench/engine_against.py), BENCH_KEEP=1
(keep the temporary directory and the database).
"""

import hashlib
import itertools
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "10000"))
SMALL = min(PATIENTS, int(os.environ.get("BENCH_SMALL", "1000")))
HOSTILE_CHECK_INS = int(os.environ.get("BENCH_HOSTILE", "5000"))
BENCH_DATABASE = "postgres://postgres@127.0.0.1:5432/symptom_tracker_bench"
ENGINE_SAMPLE_EVERY = 15  # every 15th seeded check-in is kept to time the engine on
DAYS = int(os.environ.get("BENCH_DAYS", "30"))
TEAMS = int(os.environ.get("BENCH_TEAMS", "4"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
SEED = int(os.environ.get("BENCH_SEED", "20261124"))
CHUNK = 500  # patients seeded per round of bulk inserts
SAMPLE = 300  # check-ins run through the real, database-reading path

TEAM_ZONES = ("Europe/London", "Europe/London", "America/New_York", "Europe/London")
FIRST_NAMES = ("Alice", "Bob", "Carol", "Dev", "Ewa", "Femi", "Grace", "Hugo", "Ines", "Jun")
LAST_NAMES = ("Morgan", "Okafor", "Reyes", "Patel", "Nowak", "Adeyemi", "Smith", "Li", "Costa")
NOTES = (
    "Phoned the patient; advice given.",
    "Phoned the patient; loperamide advice, review tomorrow.",
    "Seen in the assessment unit.",
    "No action needed: at their usual.",
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def configure() -> Path:
    """Environment for the settings module, before Django is set up."""
    workdir = Path(tempfile.mkdtemp(prefix="symptom-bench-"))
    os.environ["ENV_FILE"] = str(workdir / "no.env")  # not the developer's .env
    os.environ["DJANGO_SETTINGS_MODULE"] = "symptom_tracker.settings"
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["STATIC_MANIFEST"] = "0"
    os.environ["VAR_DIR"] = str(workdir)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = own_postgres() or f"sqlite:///{workdir / 'bench.sqlite3'}"
    return workdir


def own_postgres() -> str | None:
    """The bench's own PostgreSQL database, made afresh; None without PostgreSQL."""
    try:
        import psycopg2
        from psycopg2 import sql
    except ImportError:
        return None
    if not _listening("127.0.0.1", 5432) and shutil.which("pg_ctlcluster"):
        versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
        for version in versions[-1:]:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                check=False,
                capture_output=True,
            )
        time.sleep(2)
    if not _listening("127.0.0.1", 5432):
        log("no PostgreSQL on 127.0.0.1:5432: measuring on SQLite")
        return None
    admin = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1", port=5432)
    admin.autocommit = True
    with admin.cursor() as cursor:
        name = sql.Identifier("symptom_tracker_bench")
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    admin.close()
    return BENCH_DATABASE


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


WORKDIR = configure()
# WhiteNoise looks for collected static files; the bench serves none.
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from cohort import SCORES, YES_NO, answers_for, runs_of, usual_values  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from engine_speed import engine_evals_per_cpu_second  # noqa: E402

from alerts.figures import percentile  # noqa: E402
from alerts.models import Alert  # noqa: E402
from alerts.selectors import queue_episodes  # noqa: E402
from clinical.engine import (  # noqa: E402
    PastCheckIn,
    Treatment,
    evaluate_check_in,
)
from clinical.routing import ESCALATE_AFTER, route  # noqa: E402
from clinical.urgency import AMBER, EMERGENCY, RANK, RED, highest, routed_as  # noqa: E402
from patients.models import (  # noqa: E402
    Acknowledgement,
    Baseline,
    CareTeam,
    CheckIn,
    Contact,
    ContactHours,
    Episode,
    Flag,
    Patient,
    TeamMembership,
)
from patients.models import Treatment as TreatmentRow  # noqa: E402
from patients.services.check_ins import evaluate  # noqa: E402

User = get_user_model()

# Minutes from an alert to its acknowledgement: median and spread (log-normal).
ACK_MEDIAN_MINUTES = {EMERGENCY: 5, RED: 12, AMBER: 90}


# Seeding: teams, people, then check-ins chunk by chunk


def seed_teams(rng: Random) -> list[CareTeam]:
    teams = []
    for n in range(TEAMS):
        team = CareTeam.objects.create(
            name=f"Bench immunotherapy team {n + 1}", time_zone=TEAM_ZONES[n % len(TEAM_ZONES)]
        )
        specialist = Contact.objects.create(
            team=team, name="Nurse specialist", order=1, phone="020 7946 0101",
            email=f"cns{n}@example.org", sms_number="+447700900101",
            handles_amber=True, handles_red=True,
        )  # fmt: skip
        ContactHours.objects.create(contact=specialist, days="mon-fri", start="09:00", end="17:00")
        Contact.objects.create(
            team=team, name="Acute oncology 24-hour line", order=2, phone="020 7946 0999",
            email=f"aos{n}@example.org", sms_number="+447700900999",
            handles_amber=True, handles_red=True, always_on_duty=True,
        )  # fmt: skip
        Contact.objects.create(
            team=team, name="On-call registrar", order=3, phone="020 7946 0300",
            email=f"reg{n}@example.org", sms_number="+447700900300",
            handles_red=True, always_on_duty=True,
        )  # fmt: skip
        nurse = User.objects.create_user(
            f"bench-nurse-{n + 1}", password=None, first_name="Nadia", last_name=f"Team{n + 1}"
        )
        TeamMembership.objects.create(team=team, user=nurse)
        team.nurse = nurse
        team.specs = team.contact_specs()
        teams.append(team)
    return teams


def seed_people(
    rng: Random, teams: list[CareTeam], now: datetime, count: int, first: int = 0
) -> list[Patient]:
    """`count` users and patients numbered from `first`, a treatment and a baseline
    each, in bulk."""
    numbers = range(first, first + count)
    users = User.objects.bulk_create(
        User(
            username=f"bench-patient-{n:05d}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            email=f"patient{n}@example.org",
            password="!",  # unusable: nobody logs in as them
        )
        for n in numbers
    )
    patients = Patient.objects.bulk_create(
        Patient(
            user=user,
            care_team=teams[n % len(teams)],
            hospital_number=f"B{n:07d}",
            time_zone=teams[n % len(teams)].time_zone,
            created_at=now - timedelta(days=DAYS + 30),
        )
        for n, user in zip(numbers, users, strict=True)
    )
    today = now.date()
    treatments = []
    for patient in patients:
        start = today - timedelta(days=rng.randint(DAYS + 10, 400))
        status = rng.choices(["active", "held", "finished"], [85, 5, 10])[0]
        treatments.append(
            TreatmentRow(
                patient=patient,
                kind=rng.choices(["checkpoint_inhibitor", "monoclonal_antibody"], [9, 1])[0],
                medicines=rng.choice(["pembrolizumab", "nivolumab", "ipilimumab + nivolumab"]),
                with_chemotherapy=rng.random() < 0.2,
                status=status,
                start_date=start,
                last_dose_date=today - timedelta(days=rng.randint(1, 20)),
                steroids="prednisolone 10 mg" if rng.random() < 0.05 else "",
            )
        )
    TreatmentRow.objects.bulk_create(treatments, batch_size=2000)
    baselines = []
    for patient in patients:
        patient.seed_usual = usual_values(rng)
        baselines.append(
            Baseline(
                patient=patient, created_at=now - timedelta(days=DAYS + 20), **patient.seed_usual
            )
        )
    Baseline.objects.bulk_create(baselines, batch_size=1000)
    for patient, treatment, baseline in zip(patients, treatments, baselines, strict=True):
        patient.seed_treatment = Treatment(treatment.with_chemotherapy, treatment.status)
        patient.seed_baseline = baseline
    return patients


def submitted_at(rng: Random, patient: Patient, day, now: datetime) -> datetime:
    """Some time between 07:00 and 21:00 on the patient's day; today, before now."""
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=patient.tz)
    at = midnight + timedelta(minutes=rng.randint(7 * 60, 21 * 60))
    earlier = rng.random()  # drawn either way, so the cohort is the same at any hour
    return midnight + (now - midnight) * earlier if at > now else at


class TeamWork:
    """What the team did with an episode: when acknowledged and resolved (maybe not yet)."""

    def __init__(self, rng: Random):
        self.rng = rng

    def acknowledge_after(self, urgency: str) -> timedelta:
        median = ACK_MEDIAN_MINUTES[routed_as(urgency) if urgency != EMERGENCY else EMERGENCY]
        return timedelta(minutes=self.rng.lognormvariate(math.log(median), 0.9))

    def resolve_after(self, urgency: str) -> timedelta:
        hours = (1, 24) if RANK[urgency] >= RANK[RED] else (2, 48)
        return timedelta(hours=self.rng.uniform(*hours))


def seed_chunk(rng: Random, work: TeamWork, patients: list[Patient], now: datetime) -> dict:
    """Check-ins for a chunk of patients, judged by the engine; their episodes, flags, alerts.

    1. Per patient, day by day: answers, the engine's evaluation with the 2 days
       before, and for each alerting finding its episode (new, raised, or joined).
    2. Bulk inserts: check-ins, then episodes, then flags and alerts, which
       point at them.
    """
    # found: per check-in, [(finding, episode, alerted, when the episode is acknowledged
    # as of this check-in)]: a later, more urgent finding raises it, to be acknowledged
    # again later.
    check_ins, found = [], []
    episodes = []
    for patient in patients:
        baseline = patient.seed_baseline
        usual = baseline.answers()
        runs = runs_of(rng, DAYS)
        today = patient.local_date(now)
        history: list[tuple[int, dict]] = []
        open_runs: dict[str, dict] = {}
        for n in range(DAYS):
            day = today - timedelta(days=DAYS - 1 - n)
            answers = answers_for(rng, patient.seed_usual, runs, n)
            at = submitted_at(rng, patient, day, now)
            evaluation = evaluate_check_in(
                answers,
                usual,
                history=[PastCheckIn(n - d, a, usual) for d, a in history if n - d <= 2],
                treatment=patient.seed_treatment,
            )
            if next(SEEDED) % ENGINE_SAMPLE_EVERY == 0:
                ENGINE_CASES.append(
                    (
                        answers,
                        usual,
                        [PastCheckIn(n - d, a, usual) for d, a in history if n - d <= 2],
                        patient.seed_treatment,
                    )
                )
            history.append((n, answers))
            ENGINE_DIGEST.update(_verdict(evaluation))
            evaluated = min(at + timedelta(seconds=3), now)
            check_ins.append(
                CheckIn(
                    patient=patient,
                    baseline=baseline,
                    submitted_at=at,
                    local_date=day,
                    entered_by="carer" if rng.random() < 0.05 else "patient",
                    urgency=evaluation.urgency,
                    evaluated_at=evaluated,
                    free_text="Feeling a bit off today." if rng.random() < 0.03 else "",
                    **answers,
                )
            )
            mine = []
            for finding in evaluation.alerting_findings:
                episode, alerted = _episode_for(
                    work, open_runs, episodes, patient, finding, evaluated
                )
                mine.append((finding, episode, alerted, episode["acknowledged_at"]))
            found.append(mine)
    CheckIn.objects.bulk_create(check_ins, batch_size=500)
    rows = [_episode_row(e, now) for e in episodes]
    Episode.objects.bulk_create(rows, batch_size=1000)
    for episode, row in zip(episodes, rows, strict=True):
        episode["pk"] = row.pk
    flags, alerts = [], []
    for check_in, mine in zip(check_ins, found, strict=True):
        for finding, episode, alerted, _acknowledged in mine:
            flags.append(_flag_row(check_in, finding, episode, alerted))
        if any(alerted for _, _, alerted, _ in mine):
            alerts.append(_alert_row(check_in, mine, now))
    Flag.objects.bulk_create(flags, batch_size=1000)
    _keep_queue_rows(rows, flags)
    Alert.objects.bulk_create(alerts, batch_size=1000)
    Acknowledgement.objects.bulk_create(_acknowledgements(episodes, flags, now), batch_size=1000)
    return {"check_ins": len(check_ins), "flags": len(flags), "alerts": len(alerts)}


# Every verdict of the engine on the cohort, in seeding order: the same seed gives
# the same cohort, so an unchanged digest says the engine judged every check-in alike.
ENGINE_DIGEST = hashlib.sha256()
# A sample of the cohort's check-ins as the engine takes them, to time it on.
ENGINE_CASES: list[tuple] = []
SEEDED = itertools.count()


def _verdict(evaluation) -> bytes:
    findings = [f.as_dict() for f in evaluation.findings]
    return json.dumps([evaluation.urgency, findings], sort_keys=True).encode() + b"\n"


def _episode_for(work, open_runs, episodes, patient, finding, at) -> tuple[dict, bool]:
    """As alerts.services.flagging._episode_for does: a finding joins its symptom's open episode
    unless it is more urgent (which raises the episode and alerts again)."""
    episode = open_runs.get(finding.symptom)
    if episode is not None and episode["resolved_at"] <= at:
        episode = None  # the team closed it before this check-in
    if episode is None:
        acknowledged = at + work.acknowledge_after(finding.urgency)
        episode = {
            "patient": patient,
            "symptom": finding.symptom,
            "urgency": finding.urgency,
            "opened_at": at,
            "acknowledged_at": acknowledged,
            "acknowledgements": [acknowledged],
            "resolved_at": acknowledged + work.resolve_after(finding.urgency),
        }
        open_runs[finding.symptom] = episode
        episodes.append(episode)
        return episode, True
    if RANK[finding.urgency] > RANK[episode["urgency"]]:
        episode["urgency"] = finding.urgency
        episode["acknowledged_at"] = at + work.acknowledge_after(finding.urgency)
        episode["acknowledgements"].append(episode["acknowledged_at"])
        episode["resolved_at"] = max(
            episode["resolved_at"],
            episode["acknowledged_at"] + work.resolve_after(finding.urgency),
        )
        return episode, True
    return episode, False


def _status(episode: dict, now: datetime) -> str:
    if episode["resolved_at"] <= now:
        return "resolved"
    return "acknowledged" if episode["acknowledged_at"] <= now else "open"


def _episode_row(episode: dict, now: datetime):
    """The episode as the team left it by `now`; its acknowledgements are rows of their
    own (Acknowledgement), one for each time it was acknowledged."""
    status = _status(episode, now)
    nurse = episode["patient"].care_team.nurse
    resolved = status == "resolved"
    return Episode(
        patient=episode["patient"],
        care_team_id=episode["patient"].care_team_id,
        symptom=episode["symptom"],
        urgency=episode["urgency"],
        status=status,
        opened_at=episode["opened_at"],
        resolved_at=episode["resolved_at"] if resolved else None,
        resolved_by=nurse if resolved else None,
        resolution_note=NOTES[len(episode["symptom"]) % len(NOTES)] if resolved else "",
    )


def _keep_queue_rows(episodes: list, flags: list[Flag]) -> None:
    """Each episode's newest flag and number of flags, as the worker keeps them
    (Episode.took): flags are made in the order they were found."""
    newest: dict[int, Flag] = {}
    counts: dict[int, int] = {}
    for flag in flags:
        newest[flag.episode_id] = flag
        counts[flag.episode_id] = counts.get(flag.episode_id, 0) + 1
    for episode in episodes:
        episode.latest_flag = newest.get(episode.pk)
        episode.flag_count = counts.get(episode.pk, 0)
    Episode.objects.bulk_update(episodes, ["latest_flag", "flag_count"], batch_size=1000)


def _acknowledgements(episodes: list[dict], flags: list[Flag], now: datetime) -> list:
    """Each time an episode was acknowledged by `now`, covering the flags it had then."""
    had: dict[int, list[tuple[datetime, int]]] = {}
    for flag in flags:  # in the order they were made
        had.setdefault(flag.episode_id, []).append((flag.created_at, flag.pk))
    rows = []
    for episode in episodes:
        nurse = episode["patient"].care_team.nurse
        for at in (at for at in episode["acknowledgements"] if at <= now):
            covered = [pk for created_at, pk in had.get(episode["pk"], []) if created_at <= at]
            if covered:
                rows.append(
                    Acknowledgement(
                        episode_id=episode["pk"], last_flag_id=covered[-1], at=at, by=nurse
                    )
                )
    return rows


def _flag_row(check_in, finding, episode, alerted) -> Flag:
    """A flag keeps no state of its own: it reads it from its episode."""
    return Flag(
        check_in=check_in,
        episode_id=episode["pk"],
        alerted=alerted,
        symptom=finding.symptom,
        urgency=finding.urgency,
        rule=finding.rule,
        raised_by=",".join(finding.raised_by),
        explanation=finding.explanation[:300],
        created_at=check_in.evaluated_at,
    )


def _alert_row(check_in, mine, now) -> Alert:
    """The check-in's alert, routed as patients.services.advice.route_for does, escalated once per
    window it waited for acknowledgement (down the chain as far as it goes)."""
    team = check_in.patient.care_team
    urgency = highest(f.urgency for f, _, alerted, _ in mine if alerted)
    at = check_in.evaluated_at
    chosen = route(team.specs, urgency, at, team.tz)
    chain = [chosen.contact] + [
        c
        for c in sorted(team.specs, key=lambda c: c.order)
        if c.order > chosen.contact.order and c.handles_urgency(urgency)
    ]
    acknowledged = max(when for _, _, alerted, when in mine if alerted)  # every flag seen
    window = ESCALATE_AFTER[routed_as(urgency)]
    waited = min(acknowledged, now) - chosen.deliver_at
    level = max(0, min(int(waited / window), len(chain) - 1))
    done = acknowledged <= now
    return Alert(
        check_in=check_in,
        urgency=urgency,
        contact_id=chain[level].ref,
        routing_reason=chosen.reason[:200],
        level=level,
        created_at=at,
        escalate_at=None if done else max(now, chosen.deliver_at + window * (level + 1)),
    )


def seed(rng: Random, teams: list[CareTeam], now: datetime, count: int, first: int, totals):
    """`count` more patients (numbered from `first`) with their month, chunk by chunk."""
    log(f"seeding {count} patients in {len(teams)} teams")
    patients = seed_people(rng, teams, now, count, first)
    # The team's delays draw from a Random of their own: how many they draw depends on
    # when episodes close, relative to today's check-ins (which depend on the hour);
    # the patients' answers, and so the engine's verdicts, must not.
    work = TeamWork(Random(rng.getrandbits(64)))
    for start in range(0, len(patients), CHUNK):
        done = seed_chunk(rng, work, patients[start : start + CHUNK], now)
        for k in totals:
            totals[k] += done[k]
        log(
            f"  {first + start + len(patients[start : start + CHUNK])} patients, "
            f"{totals['check_ins']} check-ins, {totals['flags']} flags, {totals['alerts']} alerts"
        )


def seed_hostile(team: CareTeam, now: datetime) -> Flag:
    """One patient of `team` who sent HOSTILE_CHECK_INS check-ins, a minute apart up to
    now, each with 9 stools against a usual of 1: red, judged by the engine (on its
    answers and usual; the 2 days before would add nothing to a red), every one joining
    one open episode that nobody has acknowledged. Its first check-in raised the one
    alert. Returns the episode's newest flag."""
    user = User.objects.create(username="bench-hostile", first_name="Harry", last_name="Stile")
    patient = Patient.objects.create(
        user=user,
        care_team=team,
        hospital_number="H0000001",
        time_zone=team.time_zone,
        created_at=now - timedelta(days=60),
    )
    TreatmentRow.objects.create(
        patient=patient,
        kind="checkpoint_inhibitor",
        medicines="pembrolizumab",
        status="active",
        start_date=now.date() - timedelta(days=90),
        last_dose_date=now.date() - timedelta(days=7),
    )
    usual = {i.key: 0 for i in SCORES} | {"stools_per_day": 1, "wellbeing": 7}
    baseline = Baseline.objects.create(
        patient=patient, created_at=now - timedelta(days=50), **usual
    )
    answers = {**usual, "stools_per_day": 9, **dict.fromkeys(YES_NO, False)}
    evaluation = evaluate_check_in(answers, usual, treatment=Treatment(False, "active"))
    [finding] = evaluation.alerting_findings
    check_ins = CheckIn.objects.bulk_create(
        (
            CheckIn(
                patient=patient,
                baseline=baseline,
                submitted_at=(at := now - timedelta(minutes=HOSTILE_CHECK_INS - n)),
                local_date=patient.local_date(at),
                entered_by="patient",
                urgency=evaluation.urgency,
                evaluated_at=at + timedelta(seconds=1),
                **answers,
            )
            for n in range(HOSTILE_CHECK_INS)
        ),
        batch_size=1000,
    )
    episode = Episode.objects.create(
        patient=patient,
        care_team=team,
        symptom=finding.symptom,
        urgency=finding.urgency,
        opened_at=check_ins[0].evaluated_at,
    )
    flags = Flag.objects.bulk_create(
        (
            Flag(
                check_in=c,
                episode=episode,
                alerted=n == 0,
                symptom=finding.symptom,
                urgency=finding.urgency,
                rule=finding.rule,
                raised_by=",".join(finding.raised_by),
                explanation=finding.explanation[:300],
                created_at=c.evaluated_at,
            )
            for n, c in enumerate(check_ins)
        ),
        batch_size=1000,
    )
    episode.latest_flag, episode.flag_count = flags[-1], len(flags)
    episode.save(update_fields=["latest_flag", "flag_count"])
    first = check_ins[0]
    chosen = route(team.contact_specs(), finding.urgency, first.evaluated_at, team.tz)
    Alert.objects.create(
        check_in=first,
        urgency=finding.urgency,
        contact_id=chosen.contact.ref,
        routing_reason=chosen.reason[:200],
        created_at=first.evaluated_at,
        escalate_at=now + timedelta(minutes=5),
    )
    CheckIn.objects.filter(pk=first.pk).update(alerted_at=first.evaluated_at)
    return flags[-1]


def refresh_figures() -> None:
    """The teams' per-day figures, as the worker keeps them."""
    started = time.perf_counter()
    call_command("refresh_figures", verbosity=0)
    log(f"team figures refreshed in {time.perf_counter() - started:.0f} s")


def analyze() -> None:
    """The planner's statistics, as production has them (autovacuum, or SQLite's ANALYZE)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    log(f"analyzed in {time.perf_counter() - started:.0f} s")


# Measuring


def sample_real_engine(rng: Random) -> dict:
    """check_ins.evaluate on a sample of seeded check-ins: its cost, and agreement."""
    ids = list(CheckIn.objects.values_list("pk", flat=True))
    chosen = rng.sample(ids, min(SAMPLE, len(ids)))
    rows = CheckIn.objects.filter(pk__in=chosen).select_related("patient", "baseline")
    agree, started = 0, time.perf_counter()
    for check_in in rows:
        agree += evaluate(check_in).urgency == check_in.urgency
    seconds = time.perf_counter() - started
    return {"sample": len(chosen), "agree": agree, "ms_each": 1000 * seconds / len(chosen)}


CLIENTS: dict[int, Client] = {}


def log_in_nurse(nurse) -> Client:
    """A client logged in as the nurse, second factor included: her password is
    skipped (force_login), her authenticator app's code is entered on the real page.
    Once: a code is accepted once (a second login would wait for the next one)."""
    if nurse.pk in CLIENTS:
        return CLIENTS[nurse.pk]
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(nurse)
    device, _ = TOTPDevice.objects.get_or_create(user=nurse, defaults={"name": "bench"})
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post(reverse("two_factor:verify"), {"code": code})
    if response.status_code != 302:
        raise SystemExit(f"the nurse's code was refused ({response.status_code})")
    CLIENTS[nurse.pk] = client
    return client


def measure(client: Client, url: str, runs: int) -> dict:
    """Render `url` twice to warm up, then `runs` times: query counts and times."""
    for _ in range(2):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    times, counts = [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(1000 * (time.perf_counter() - started))
        assert response.status_code == 200, response.status_code
        counts.add(len(queries))
    times.sort()
    return {
        "queries": max(counts),
        "queries_varied": len(counts) > 1,
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "html": response.content,
    }


def workspace(team: CareTeam) -> dict[str, str]:
    """The nurse's pages of `team`: each one's query count and p50/p95."""
    patient = (
        Patient.objects.filter(care_team=team)
        .annotate(n=Count("episodes__flags"))
        .order_by("-n", "pk")
        .first()
    )
    largest = (
        Episode.objects.filter(patient__care_team=team, latest_flag__isnull=False)
        .order_by("-flag_count", "-pk")
        .first()
    )
    client = log_in_nurse(team.nurse)
    pages = {
        "triage_queue": reverse("alerts:queue"),
        "triage_queue_partial": reverse("alerts:queue") + "?partial=1",
        "patient_page": reverse("alerts:patient", args=[patient.pk]),
        "flag_page": reverse("alerts:flag", args=[largest.latest_flag_id]),
        "figures_page": reverse("alerts:figures", args=[team.pk]),
    }
    lines = {
        "team_patients": Patient.objects.filter(care_team=team).count(),
        "team_open_episodes": Episode.objects.filter(
            patient__care_team=team, status__in=["open", "acknowledged"]
        ).count(),
        "patient_page_flags": patient.n,
        "flag_page_episode_check_ins": largest.flag_count,
    }
    for name, url in pages.items():
        log(f"rendering {name} ({url}) {RUNS} times")
        result = measure(client, url, RUNS)
        lines[f"{name}_queries"] = (
            result["queries"] if not result["queries_varied"] else (f"{result['queries']} (varied)")
        )
        lines[f"{name}_p50_ms"] = f"{result['p50']:.1f}"
        lines[f"{name}_p95_ms"] = f"{result['p95']:.1f}"
        lines[f"{name}_html_kb"] = len(result["html"]) // 1024
        if name == "triage_queue":
            html = result["html"].decode()
            lines["triage_queue_rows"] = len(re.findall(r"<tr[\s>]", html.split("<tbody", 1)[-1]))
    return lines


def hostile_pages(team: CareTeam, newest: Flag) -> dict[str, str]:
    client = log_in_nurse(team.nurse)
    pages = {
        "queue_hostile": reverse("alerts:queue"),
        "queue_partial_hostile": reverse("alerts:queue") + "?partial=1",
        "flag_page_hostile": reverse("alerts:flag", args=[newest.pk]),
        "patient_page_hostile": reverse("alerts:patient", args=[newest.episode.patient_id]),
    }
    lines = {}
    for name, url in pages.items():
        log(f"rendering {name} ({url}) {RUNS} times")
        result = measure(client, url, RUNS)
        lines[f"{name}_queries"] = result["queries"]
        lines[f"{name}_p50_ms"] = f"{result['p50']:.1f}"
        lines[f"{name}_p95_ms"] = f"{result['p95']:.1f}"
        lines[f"{name}_html_kb"] = len(result["html"]) // 1024
    return lines


def explain_queue(team: CareTeam) -> str:
    """EXPLAIN ANALYZE of the queue's main query, as the nurse's page runs it."""
    shown, _counts = queue_episodes(team.nurse)
    sql, params = shown[:50].query.sql_with_params()
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{prefix} {sql}", params)
        return "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())


def http_figures() -> dict[str, str]:
    """bench/http_bench.py in a process of its own: its name=value lines."""
    if os.environ.get("BENCH_HTTP") == "0":
        return {"http": "skipped (BENCH_HTTP=0)"}
    script = Path(__file__).resolve().parent / "http_bench.py"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ENV_FILE")}
    log("the check-in path over HTTP (bench/http_bench.py)")
    done = subprocess.run(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    lines = dict(
        line.split("=", 1)
        for line in done.stdout.splitlines()
        if "=" in line and " " not in line.split("=", 1)[0]
    )
    if done.returncode:
        lines["http_exit_status"] = str(done.returncode)
    return lines


def main() -> None:
    rng = Random(SEED)
    vendor = connection.vendor
    log(f"database: {vendor} ({connection.settings_dict['NAME']})")
    if vendor == "sqlite":
        with connection.cursor() as cursor:  # a throwaway file: speed over durability
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
    call_command("migrate", verbosity=0)
    if Patient.objects.exists():
        raise SystemExit("The database already holds patients: give the bench an empty one.")

    bench_started = time.perf_counter()
    now = timezone.now()
    teams = seed_teams(rng)
    team = teams[0]
    totals = {"check_ins": 0, "flags": 0, "alerts": 0}
    lines: dict[str, object] = {"database": vendor}
    started = time.perf_counter()
    seed(rng, teams, now, SMALL, 0, totals)
    seed_seconds = time.perf_counter() - started
    if os.environ.get("BENCH_STAGES") == "seed":
        seed(rng, teams, now, PATIENTS - SMALL, SMALL, totals)
        return
    refresh_figures()
    analyze()
    small = workspace(team)
    lines["small_patients"] = SMALL
    lines.update({f"small_{k}": v for k, v in small.items()})

    started = time.perf_counter()
    seed(rng, teams, now, PATIENTS - SMALL, SMALL, totals)
    seed_seconds += time.perf_counter() - started
    log(f"seeded in {seed_seconds:.0f} s")
    refresh_figures()
    analyze()
    check_ins = CheckIn.objects.count()
    alerting = CheckIn.objects.filter(alert__isnull=False).count()  # raised an alert
    lines.update(
        {
            "seeded_with": "clinical.engine.evaluate_check_in on every check-in in memory "
            "(2 days of history, treatment); flags, episodes and alerts bulk-created; "
            "acknowledgement, resolution and escalation simulated; no notifications",
            "patients": Patient.objects.count(),
            "teams": len(teams),
            "check_ins": check_ins,
            "flags": totals["flags"],
            "alerts": totals["alerts"],
            "share_alerting": f"{alerting / check_ins:.3f}",
            "seed_seconds": f"{seed_seconds:.1f}",
            "engine_digest": ENGINE_DIGEST.hexdigest()[:16],
            "runs": RUNS,
        }
    )
    full = workspace(team)
    lines.update(full)
    for name in ("triage_queue", "triage_queue_partial"):
        growth = float(full[f"{name}_p95_ms"]) / float(small[f"{name}_p95_ms"])
        short = name.replace("triage_", "")
        lines[f"{short}_growth_10k_over_1k"] = f"{growth:.2f}"
    log(f"running the real engine path on {SAMPLE} check-ins")
    real = sample_real_engine(rng)
    lines["real_engine_sample"] = real["sample"]
    lines["real_engine_agreement"] = f"{real['agree']}/{real['sample']}"
    lines["real_engine_ms_per_check_in"] = f"{real['ms_each']:.2f}"

    plan = explain_queue(team)

    log(f"a hostile patient: {HOSTILE_CHECK_INS} red check-ins in one episode")
    newest = seed_hostile(team, now)
    analyze()
    lines["hostile_check_ins"] = HOSTILE_CHECK_INS
    lines.update(hostile_pages(team, newest))

    log("timing the engine")
    lines["engine_cases"] = len(ENGINE_CASES)
    lines["engine_evals_per_cpu_second"] = f"{engine_evals_per_cpu_second(ENGINE_CASES):.0f}"
    lines.update(http_figures())
    lines["bench_seconds"] = f"{time.perf_counter() - bench_started:.0f}"
    for name, value in lines.items():
        print(f"{name}={value}", flush=True)
    print("queue_explain=", flush=True)
    for row in plan.splitlines():
        print(f"  {row}", flush=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        if os.environ.get("BENCH_KEEP") == "1":
            log(f"kept {WORKDIR}")
        else:
            shutil.rmtree(WORKDIR, ignore_errors=True)
