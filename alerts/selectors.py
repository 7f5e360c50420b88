"""Reads for the care team's pages: the triage queue, its counts, missed check-ins.

Each page runs a fixed number of queries whatever the number of patients, flags
or check-ins: rows come with what they show (select_related, one prefetch, or a
second query by ids), and counts come from one aggregate query.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import (
    Count,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinical.catalogue import BY_KEY
from clinical.reminders import AFTER_TREATMENT, FOLLOW_UP_DAYS, MISSED_AFTER_DAYS, ON_TREATMENT
from clinical.systems import BODY_SYSTEMS
from clinical.urgency import ALERTING, RANK
from patients.access import episodes_for_clinician, flags_for_clinician, patients_for_clinician
from patients.models import ACKNOWLEDGED, OPEN, RESOLVED, CheckIn, Patient, Treatment

ACTIVE = "active"  # open and acknowledged: the worklist
# The resolved view is recent history, not a worklist: episodes resolved in the last
# RESOLVED_DAYS, the most recently resolved RESOLVED_SHOWN of them. Older ones are on
# each patient's page.
RESOLVED_SHOWN = 100
RESOLVED_DAYS = 30


def queue_episodes(user, *, team=None, urgency="", status=ACTIVE, system=""):
    """The episodes a clinician's queue shows, in its order, and their count per urgency.

    A row is an episode with what the queue shows kept on it (Episode.latest_flag,
    flag_count), so the queue reads one row per episode shown, however long the
    team's history or an episode. Returns (shown, counts): counts apply every filter
    but urgency, so that they say what each urgency would show. The worklist (open
    and acknowledged) is most urgent first and oldest first within an urgency, in the
    order of its index (episode_worklist); the resolved view is the episodes resolved
    in the last RESOLVED_DAYS, most recently resolved first, RESOLVED_SHOWN at most
    (index episode_resolved). Neither reads history beyond what it shows.

    1. One aggregate query: the counts.
    2. One query: the episodes, with their newest flag, patient and team.
    3. One query: their patients' current treatments.
    """
    resolved = status == RESOLVED
    if resolved:
        since = timezone.now() - timedelta(days=RESOLVED_DAYS)
        episodes = episodes_for_clinician(user).filter(status=RESOLVED, resolved_at__gte=since)
    else:
        statuses = [OPEN, ACKNOWLEDGED] if status == ACTIVE else [status]
        episodes = episodes_for_clinician(user).filter(status__in=statuses)
    if team is not None:
        episodes = episodes.filter(care_team_id=team)
    if system:
        episodes = episodes.filter(symptom__in=BODY_SYSTEMS.get(system, ()))
    counts = urgency_counts(episodes)
    # A row shows the episode's newest flag, which the worker writes with the episode.
    episodes = episodes.filter(latest_flag__isnull=False)
    if urgency:
        episodes = episodes.filter(urgency_rank=RANK[urgency])
    episodes = episodes.select_related(
        "latest_flag", "patient__user", "patient__care_team"
    ).prefetch_related(Prefetch("patient__treatments", queryset=Treatment.objects.current_first()))
    if not resolved:
        return episodes.order_by("-urgency_rank", "opened_at", "pk"), counts
    shown = episodes.order_by(F("resolved_at").desc(nulls_last=True), "-pk")
    return shown[:RESOLVED_SHOWN], counts


def urgency_counts(episodes) -> dict[str, int]:
    """{urgency: number of episodes}, most urgent first, from one query (by the rank
    the worklist's index holds, so that counting a worklist reads only its index)."""
    counts = episodes.order_by().aggregate(
        **{u: Count("pk", filter=Q(urgency_rank=RANK[u])) for u in ALERTING}
    )
    return {u: counts[u] or 0 for u in ALERTING}


def queue_row(episode) -> tuple:
    """(newest flag, its catalogue item, the patient's current treatment) for a row of
    queue_episodes: the flag reads its episode, and its patient, from the row."""
    flag = episode.latest_flag
    flag.episode = episode
    treatments = episode.patient.treatments.all()
    return flag, BY_KEY.get(episode.symptom), treatments[0] if treatments else None


def queue_rows(episodes, *, now: datetime | None = None) -> list[tuple]:
    """queue_row for each episode of a page, in order, with two things the row says:
    `flag.treatment_above`, true on a patient's second and later rows of the page
    (their treatment is shown once, on their first row), and
    `flag.episode.just_opened`, opened less than a minute ago ("just now")."""
    now = now or timezone.now()
    first_rows = {}
    rows = []
    for episode in episodes:
        flag, item, treatment = queue_row(episode)
        flag.treatment_above = first_rows.setdefault(episode.patient_id, flag) is not flag
        episode.just_opened = now - episode.opened_at < timedelta(minutes=1)
        rows.append((flag, item, treatment))
    return rows


def queue_version(user) -> str:
    """A short string that changes whenever the clinician's worklist changes in a way
    its rows show: an episode opened, resolved, acknowledged, or joined by a flag
    (raised or not: the newest flag id grows), for the user's teams only.

    The queue's page asks for it every few seconds (static/js/queue.js, ?since=) and
    renders its rows only when it changed, so an open queue shows a new red within
    seconds at the cost of one aggregate over the teams' worklist (the rows of index
    episode_team_worklist: open episodes, not history), after episodes_for_clinician
    reads the user's teams: two queries, whatever the size of the team's history.
    """
    worklist = episodes_for_clinician(user).filter(status__in=[OPEN, ACKNOWLEDGED])
    found = worklist.order_by().aggregate(
        episodes=Count("pk"),
        unseen=Count("pk", filter=Q(status=OPEN)),
        newest_flag=Max("latest_flag_id"),
    )
    return f"{found['episodes']}.{found['unseen']}.{found['newest_flag'] or 0}"


# Missed check-ins (REFERENCE.md R16)

# The extreme UTC offsets of civil time (UTC-12, UTC+14): the SQL filter lets
# through everyone who may qualify on some calendar day on Earth.
_WESTMOST, _EASTMOST = timedelta(hours=-12), timedelta(hours=14)


@dataclass(frozen=True)
class MissedCheckIn:
    patient: Patient  # with its user and care team
    treatment: Treatment
    last_check_in: date | None  # the patient's local date; None: never checked in
    since: date  # the last check-in's date, or the day the patient was added
    days: int  # days without a check-in, by the patient's calendar

    @property
    def in_follow_up(self) -> bool:
        return self.treatment.status in AFTER_TREATMENT


def missed_check_ins(*, user, today: date | None = None) -> list[MissedCheckIn]:
    """Patients of the clinician's teams on treatment or in follow-up with no check-in
    for MISSED_AFTER_DAYS days or more, longest first (R16).

    On treatment: the current (most recently started) treatment is active or held.
    In follow-up: it finished or stopped, with its last dose (or, if none is
    recorded, its start) within FOLLOW_UP_DAYS. Days are counted on the patient's
    own calendar from the last check-in, or from the day the patient was added if
    they never checked in. `today` sets every patient's today (for reports and
    tests); by default each patient's today is theirs.

    1. One query: the patients with their current treatment's id, status and
       dates and their last check-in's date, as subqueries; SQL lets through
       everyone who might qualify in some time zone.
    2. One query: those treatments, by id.
    3. In Python, each patient's own today decides.
    """
    now = timezone.now()
    latest_today = today or (now.astimezone(UTC) + _EASTMOST).date()
    earliest_today = today or (now.astimezone(UTC) + _WESTMOST).date()
    missed_by = latest_today - timedelta(days=MISSED_AFTER_DAYS)
    current = Treatment.objects.filter(patient=OuterRef("pk")).current_first()
    last = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-local_date")
    candidates = list(
        patients_for_clinician(user)
        .select_related("user", "care_team")
        .annotate(
            treatment_pk=Subquery(current.values("pk")[:1]),
            treatment_status=Subquery(current.values("status")[:1]),
            treatment_ended=Subquery(
                current.values(ended=Coalesce("last_dose_date", "start_date"))[:1]
            ),
            last_check_in=Subquery(last.values("local_date")[:1]),
        )
        .filter(
            Q(treatment_status__in=ON_TREATMENT)
            | Q(
                treatment_status__in=AFTER_TREATMENT,
                treatment_ended__gte=earliest_today - timedelta(days=FOLLOW_UP_DAYS),
            )
        )
        .filter(
            Q(last_check_in__lte=missed_by)
            | Q(last_check_in__isnull=True, created_at__lt=_ended_everywhere(missed_by))
        )
    )
    treatments = Treatment.objects.in_bulk([p.treatment_pk for p in candidates])
    missed = []
    for patient in candidates:
        own_today = today or patient.local_date(now)
        treatment = treatments[patient.treatment_pk]
        if (
            treatment.status in AFTER_TREATMENT
            and (own_today - patient.treatment_ended).days > FOLLOW_UP_DAYS
        ):
            continue
        since = patient.last_check_in or patient.local_date(patient.created_at)
        days = (own_today - since).days
        if days >= MISSED_AFTER_DAYS:
            missed.append(MissedCheckIn(patient, treatment, patient.last_check_in, since, days))
    missed.sort(key=lambda m: (-m.days, m.patient.name.lower(), m.patient.pk))
    return missed


def _ended_everywhere(day: date) -> datetime:
    """The instant `day` ends in the westmost zone: a patient added later was
    added on a later local day, whatever their zone."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1) - _WESTMOST


# The rows of the queue and of a flag's page


def triage_flags(user):
    """Flags of the patients of the clinician's teams, with what a row shows."""
    return (
        flags_for_clinician(user)
        .select_related(
            "check_in__patient__user", "check_in__patient__care_team", "check_in__baseline"
        )
        .prefetch_related(
            Prefetch(
                "check_in__patient__treatments",
                queryset=Treatment.objects.current_first(),
            )
        )
    )


def current_treatment(flag):
    """The flag's patient's current treatment, from triage_flags' prefetch."""
    treatments = flag.check_in.patient.treatments.all()
    return treatments[0] if treatments else None
