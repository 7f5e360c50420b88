"""`make bench`: the triage workspace against a cohort of 10,000 patients.

1. Sets up Django on a throwaway database: a SQLite file in a temporary
   directory, or the DATABASE_URL given (which must hold no patients), and
   migrates it.
2. Seeds a cohort (see `seed`): care teams with the vignettes' contact list, a
   nurse each, patients with a treatment and a baseline, and a check-in a day for
   30 days each, answers varied around each patient's baseline with episodes of
   symptoms. Every check-in is judged by the real engine
   (clinical.engine.evaluate_check_in, with the 2 days before and the treatment),
   in memory; flags, episodes and alerts are written with bulk_create, and the
   team's work is simulated: each episode acknowledged after a delay drawn per
   urgency, resolved some hours later, an alert escalated once per window it
   waited. No notifications are written (neither page shows them).
3. Times the real path on a sample (patients.services.check_ins.evaluate, which reads the
   check-in's history and treatment from the database) and checks that it
   agrees with the seeded verdicts.
4. Renders the triage queue, a patient page (the team's patient with the most
   flags) and the team's figures with Django's test client as a logged-in nurse,
   BENCH_RUNS times each after a warm-up, counting SQL queries and timing each.

Prints `name=value` lines on stdout and progress on stderr. Knobs (environment):
BENCH_PATIENTS (10000), BENCH_DAYS (30), BENCH_TEAMS (4), BENCH_RUNS (30),
BENCH_SEED (random seed), BENCH_KEEP=1 (keep the temporary directory).
"""

import hashlib
import json
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import warnings
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "10000"))
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
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    return workdir


WORKDIR = configure()
# WhiteNoise looks for collected static files; the bench serves none.
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from alerts.figures import percentile  # noqa: E402
from alerts.models import Alert  # noqa: E402
from clinical import catalogue  # noqa: E402
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

SCORES = [i for i in catalogue.ITEMS if i.kind == catalogue.SCORE]
STANDARD = [i.key for i in SCORES if i.cls == catalogue.STANDARD]
CRITICAL = [i.key for i in SCORES if i.cls == catalogue.CRITICAL]
YES_NO = [i.key for i in catalogue.ITEMS if i.kind == catalogue.YESNO]
RED_FLAGS = [i.key for i in catalogue.ITEMS if i.cls == catalogue.RED_FLAG]
AMBER_FLAGS = [i.key for i in catalogue.ITEMS if i.cls == catalogue.AMBER_FLAG]
# The symptoms immunotherapy most often brings, weighted: (kind of episode, weight).
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


def seed_people(rng: Random, teams: list[CareTeam], now: datetime) -> list[Patient]:
    """Users, patients, a treatment and a baseline each, in bulk."""
    users = User.objects.bulk_create(
        User(
            username=f"bench-patient-{n:05d}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            email=f"patient{n}@example.org",
            password="!",  # unusable: nobody logs in as them
        )
        for n in range(PATIENTS)
    )
    patients = Patient.objects.bulk_create(
        Patient(
            user=user,
            care_team=teams[n % len(teams)],
            hospital_number=f"B{n:07d}",
            time_zone=teams[n % len(teams)].time_zone,
            created_at=now - timedelta(days=DAYS + 30),
        )
        for n, user in enumerate(users)
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
        values = {i.key: rng.choices([0, 1, 2], [70, 25, 5])[0] for i in SCORES}
        values["fatigue"] = rng.choice([0, 1, 1, 2])
        values["stools_per_day"] = rng.choice([1, 1, 1, 2, 2, 3])
        values["wellbeing"] = rng.randint(6, 9)
        baselines.append(
            Baseline(patient=patient, created_at=now - timedelta(days=DAYS + 20), **values)
        )
    Baseline.objects.bulk_create(baselines, batch_size=1000)
    for patient, treatment, baseline in zip(patients, treatments, baselines, strict=True):
        patient.seed_treatment = Treatment(treatment.with_chemotherapy, treatment.status)
        patient.seed_baseline = baseline
    return patients


def episodes_of(rng: Random) -> list[dict]:
    """A patient's runs of symptoms over the days: what deviates, from when, how long, how much."""
    runs = []
    for _ in range(_poisson(rng, EPISODES_PER_MONTH * DAYS / 30)):
        kind = rng.choices([k for k, _ in EPISODE_KINDS], [w for _, w in EPISODE_KINDS])[0]
        start = rng.randrange(DAYS)
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


def answers_for(rng: Random, baseline: Baseline, runs: list[dict], day: int) -> dict:
    """A day's answers: the patient's usual with small noise, plus any symptom running today."""
    answers = {}
    for item in SCORES:
        usual = getattr(baseline, item.key) or 0
        noise = rng.random()
        if noise < 0.08 and usual > 0:
            usual -= 1  # a better day
        elif noise > 0.985 and item.cls == catalogue.STANDARD and usual < 4:
            usual += 1  # a small rise, recorded but green (R8)
        answers[item.key] = usual
    answers["stools_per_day"] = max(0, baseline.stools_per_day - (rng.random() < 0.15))
    answers["wellbeing"] = min(10, max(0, baseline.wellbeing + rng.choice([-1, 0, 0, 0, 1])))
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
            answers[key] = max(0, baseline.wellbeing + rise)
        elif key == "stools_per_day":
            answers[key] = min(catalogue.STOOLS_MAX, baseline.stools_per_day + rise)
        else:
            answers[key] = min(4, (getattr(baseline, key) or 0) + rise)
    return answers


def _poisson(rng: Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


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
        runs = episodes_of(rng)
        today = patient.local_date(now)
        history: list[tuple[int, dict]] = []
        open_runs: dict[str, dict] = {}
        for n in range(DAYS):
            day = today - timedelta(days=DAYS - 1 - n)
            answers = answers_for(rng, baseline, runs, n)
            at = submitted_at(rng, patient, day, now)
            evaluation = evaluate_check_in(
                answers,
                usual,
                history=[PastCheckIn(n - d, a, usual) for d, a in history if n - d <= 2],
                treatment=patient.seed_treatment,
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
    Alert.objects.bulk_create(alerts, batch_size=1000)
    Acknowledgement.objects.bulk_create(_acknowledgements(episodes, flags, now), batch_size=1000)
    return {"check_ins": len(check_ins), "flags": len(flags), "alerts": len(alerts)}


# Every verdict of the engine on the cohort, in seeding order: the same seed gives
# the same cohort, so an unchanged digest says the engine judged every check-in alike.
ENGINE_DIGEST = hashlib.sha256()


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
        symptom=episode["symptom"],
        urgency=episode["urgency"],
        status=status,
        opened_at=episode["opened_at"],
        resolved_at=episode["resolved_at"] if resolved else None,
        resolved_by=nurse if resolved else None,
        resolution_note=NOTES[len(episode["symptom"]) % len(NOTES)] if resolved else "",
    )


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


def seed(rng: Random, now: datetime) -> tuple[list[CareTeam], dict]:
    teams = seed_teams(rng)
    log(f"seeding {PATIENTS} patients in {len(teams)} teams")
    patients = seed_people(rng, teams, now)
    work = TeamWork(rng)
    totals = {"check_ins": 0, "flags": 0, "alerts": 0}
    for start in range(0, len(patients), CHUNK):
        done = seed_chunk(rng, work, patients[start : start + CHUNK], now)
        totals = {k: totals[k] + done[k] for k in totals}
        log(
            f"  {start + len(patients[start : start + CHUNK])} patients, "
            f"{totals['check_ins']} check-ins, {totals['flags']} flags, {totals['alerts']} alerts"
        )
    return teams, totals


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


def log_in_nurse(nurse) -> Client:
    """A client logged in as the nurse, second factor included: her password is
    skipped (force_login), her authenticator app's code is entered on the real page."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(nurse)
    device, _ = TOTPDevice.objects.get_or_create(user=nurse, defaults={"name": "bench"})
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post(reverse("two_factor:verify"), {"code": code})
    if response.status_code != 302:
        raise SystemExit(f"the nurse's code was refused ({response.status_code})")
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

    now = timezone.now()
    started = time.perf_counter()
    teams, totals = seed(rng, now)
    seed_seconds = time.perf_counter() - started
    log(f"seeded in {seed_seconds:.0f} s")
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    check_ins = CheckIn.objects.count()
    alerting = CheckIn.objects.filter(alert__isnull=False).count()  # raised an alert
    log(f"running the real engine path on {SAMPLE} check-ins")
    real = sample_real_engine(rng)

    team = teams[0]
    nurse = team.nurse
    patient = (
        Patient.objects.filter(care_team=team)
        .annotate(n=Count("check_ins__flags"))
        .order_by("-n", "pk")
        .first()
    )
    open_flags = Flag.objects.filter(
        check_in__patient__care_team=team, episode__status__in=["open", "acknowledged"]
    ).count()
    client = log_in_nurse(nurse)
    pages = {
        "triage_queue": reverse("alerts:queue"),
        "patient_page": reverse("alerts:patient", args=[patient.pk]),
        "figures_page": reverse("alerts:figures", args=[team.pk]),
    }
    results = {}
    for name, url in pages.items():
        log(f"rendering {name} ({url}) {RUNS} times")
        results[name] = measure(client, url, RUNS)
    queue_html = results["triage_queue"]["html"].decode()
    queue_rows = len(re.findall(r"<tr[\s>]", queue_html.split("<tbody", 1)[-1]))

    lines = {
        "database": vendor,
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
        "real_engine_sample": real["sample"],
        "real_engine_agreement": f"{real['agree']}/{real['sample']}",
        "real_engine_ms_per_check_in": f"{real['ms_each']:.2f}",
        "real_engine_estimate_seconds": f"{real['ms_each'] * check_ins / 1000:.0f}",
        "runs": RUNS,
        "nurse_team_patients": Patient.objects.filter(care_team=team).count(),
        "triage_queue_open_flags": open_flags,
        "triage_queue_rows": queue_rows,
        "triage_queue_html_kb": len(results["triage_queue"]["html"]) // 1024,
        "patient_page_flags": patient.n,
    }
    for name, result in results.items():
        lines[f"{name}_queries"] = result["queries"]
        if result["queries_varied"]:
            lines[f"{name}_queries_varied"] = "yes"
        lines[f"{name}_p50_ms"] = f"{result['p50']:.1f}"
        lines[f"{name}_p95_ms"] = f"{result['p95']:.1f}"
    for name, value in lines.items():
        print(f"{name}={value}")


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        if os.environ.get("BENCH_KEEP") == "1":
            log(f"kept {WORKDIR}")
        else:
            shutil.rmtree(WORKDIR, ignore_errors=True)
