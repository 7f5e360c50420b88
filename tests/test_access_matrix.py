"""Who may open what: every URL of the project against every persona (issue 5).

One row per URL name, one column per persona, the expected status of a GET. A
200 where the table expects anything else fails, and so does a URL that has no
row: a new page cannot be added without saying who may see it. The POST table
below does the same for every page that changes something, and checks that a
refused request changed nothing.

Personas (tests/conftest.py): alice, a patient; bob, a patient of another team;
cara, alice's carer; rex, whose access alice removed; nadia, a nurse of alice's
team; olga, a nurse of another team; an admin (staff, no team); and nadia again
with only her password, before the second factor ("nurse_1fa").
"""

import django.test
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from alerts.services import flagging
from patients.models import Carer, Flag, Question

from .conftest import login
from .factories import make_check_in

PERSONAS = ["anon", "patient", "other", "carer", "revoked", "nurse", "other_nurse", "admin"]
PERSONAS_ALL = [*PERSONAS, "nurse_1fa"]
LOGIN = "login"  # a redirect to the login page
TWO_FA = "2fa"  # a redirect to the second-factor page
REDIRECT = "redirect"  # a redirect elsewhere (a role's own home)
ADMIN_LOGIN = "admin-login"


def row(anon, patient, other, carer, revoked, nurse, other_nurse, admin, nurse_1fa=None):
    """Expected outcomes by persona; the half-logged-in nurse reaches nothing by default."""
    values = [anon, patient, other, carer, revoked, nurse, other_nurse, admin]
    return dict(
        zip(PERSONAS_ALL, [*values, TWO_FA if nurse_1fa is None else nurse_1fa], strict=True)
    )


def everyone(outcome):
    return row(*[outcome] * 8, nurse_1fa=outcome)


PATIENT_ONLY = row(LOGIN, 200, 200, 404, 404, 404, 404, 404)
PATIENT_OR_CARER = row(LOGIN, 200, 200, 200, 404, 404, 404, 404)
ALICE_OR_CARER = row(LOGIN, 200, 404, 200, 404, 404, 404, 404)  # alice's record
POST_ONLY_FOR_PATIENTS = row(LOGIN, 405, 405, 404, 404, 404, 404, 404)
CLINICIANS = row(LOGIN, 404, 404, 404, 404, 200, 200, 404)
ALICE_TEAM = row(LOGIN, 404, 404, 404, 404, 200, 404, 404)
ALICE_TEAM_AND_ADMIN = row(LOGIN, 404, 404, 404, 404, 200, 404, 200)
POST_ONLY_FOR_CLINICIANS = row(LOGIN, 404, 404, 404, 404, 405, 405, 404)

# GET: url name -> (path arguments, expected outcome per persona).
GET = {
    "login": (None, everyone(200)),
    "logout": (None, everyone(405)),
    # Only a half-logged-in clinician has anything to do on the second-factor pages.
    "two_factor:verify": (None, row(LOGIN, *[REDIRECT] * 7, nurse_1fa=200)),
    "two_factor:setup": (None, row(LOGIN, *[REDIRECT] * 7, nurse_1fa=TWO_FA)),
    "password_reset": (None, everyone(200)),
    "password_reset_done": (None, everyone(200)),
    "password_reset_confirm": (lambda o: ["MQ", "not-a-token"], everyone(200)),
    "password_reset_complete": (None, everyone(200)),
    "set_language": (None, everyone(REDIRECT)),  # a GET changes nothing: back to the page
    "set_text_size": (None, everyone(405)),
    "health": (None, everyone("health")),
    "alerts:queue": (None, CLINICIANS),
    "alerts:ack": (lambda o: ["not-a-token"], row(LOGIN, 404, 404, 404, 404, 404, 404, 404)),
    "alerts:flag": (lambda o: [o.flag.pk], ALICE_TEAM),
    "alerts:acknowledge": (lambda o: [o.flag.pk], POST_ONLY_FOR_CLINICIANS),
    "alerts:action": (lambda o: [o.flag.pk], POST_ONLY_FOR_CLINICIANS),
    "alerts:resolve": (lambda o: [o.flag.pk], POST_ONLY_FOR_CLINICIANS),
    "alerts:patient": (lambda o: [o.alice.pk], ALICE_TEAM),
    "alerts:missed": (None, CLINICIANS),
    # Admins manage every team's contact list; the figures are counts, no patient.
    "alerts:figures": (lambda o: [o.alice.care_team_id], ALICE_TEAM_AND_ADMIN),
    "alerts:contacts": (lambda o: [o.alice.care_team_id], ALICE_TEAM_AND_ADMIN),
    "alerts:edit_contacts": (
        lambda o: [o.alice.care_team_id],
        row(LOGIN, 404, 404, 404, 404, 404, 404, 200),  # nurses read it; admins change it
    ),
    "patients:home": (None, row(LOGIN, 200, 200, 200, 200, REDIRECT, REDIRECT, REDIRECT)),
    "patients:baseline": (None, PATIENT_ONLY),
    "welcome": (lambda o: ["MQ", "not-a-token"], row(*[200] * 8)),
    "patients:first_visit": (None, PATIENT_ONLY),
    "patients:carers": (None, PATIENT_ONLY),
    "patients:carer_resend": (lambda o: [o.invited.pk], POST_ONLY_FOR_PATIENTS),
    "patients:carer_revoke": (lambda o: [o.invited.pk], POST_ONLY_FOR_PATIENTS),
    "patients:carer_accept": (lambda o: ["not-a-token"], row(*[400] * 8)),
    "patients:choose_patient": (
        lambda o: [o.cara_link.pk],
        row(LOGIN, 405, 405, 405, 405, 405, 405, 405, nurse_1fa=TWO_FA),
    ),
    "patients:check_in": (None, PATIENT_OR_CARER),
    "patients:check_ins": (None, PATIENT_OR_CARER),
    "patients:check_in_result": (lambda o: [o.check_in.pk], ALICE_OR_CARER),
    "patients:contacts": (None, PATIENT_OR_CARER),
    "patients:questions": (None, PATIENT_ONLY),
    "patients:question_add_suggested": (None, POST_ONLY_FOR_PATIENTS),
    "patients:question_asked": (lambda o: [o.question.pk], POST_ONLY_FOR_PATIENTS),
    "patients:question_answer": (lambda o: [o.question.pk], POST_ONLY_FOR_PATIENTS),
    "patients:question_delete": (lambda o: [o.question.pk], POST_ONLY_FOR_PATIENTS),
    "patients:treatment": (None, PATIENT_ONLY),
    "patients:reminders": (None, PATIENT_ONLY),
    "patients:stop_reminders": (lambda o: ["not-a-token"], row(*[404] * 8)),
    "patients:my_data": (None, PATIENT_ONLY),
    "patients:my_data_json": (None, PATIENT_ONLY),
    "patients:my_data_csv": (None, PATIENT_ONLY),
}
# The Django admin: one site, staff only, every page behind the same check.
ADMIN_PAGES = {
    "admin:index": [],
    "admin:patients_patient_changelist": [],
    "admin:patients_patient_change": lambda o: [o.alice.pk],
    "admin:patients_checkin_changelist": [],
    "admin:patients_auditevent_changelist": [],
    "admin:patients_flag_changelist": [],
    "admin:auth_user_changelist": [],
}
ADMIN_ONLY = row(
    ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200
)


class World:
    """Alice's records, and the people around her."""

    def __init__(self, patient, other_patient, carer, revoked_carer, nurse, other_nurse, admin):
        self.alice, self.bob = patient, other_patient
        self.check_in = make_check_in(patient, stools_per_day=9)
        flagging.flag_check_in(self.check_in.pk)
        self.flag = Flag.objects.get(check_in=self.check_in)
        self.question = Question.objects.create(patient=patient, text="How often is my treatment?")
        self.invited = Carer.objects.create(patient=patient, name="Sam", email="sam@example.org")
        self.cara_link = Carer.objects.get(user=carer)
        self.users = {
            "patient": patient.user,
            "other": other_patient.user,
            "carer": carer,
            "revoked": revoked_carer,
            "nurse": nurse,
            "other_nurse": other_nurse,
            "admin": admin,
        }

    def client(self, persona):
        if persona == "anon":
            return django.test.Client()
        if persona == "nurse_1fa":  # the password only: no second factor yet
            client = django.test.Client()
            client.force_login(self.users["nurse"], "django.contrib.auth.backends.ModelBackend")
            return client
        from .conftest import Client

        return login(Client(), self.users[persona])


@pytest.fixture
def world(patient, other_patient, carer, revoked_carer, nurse, other_nurse, admin_user):
    return World(patient, other_patient, carer, revoked_carer, nurse, other_nurse, admin_user)


def outcome(response) -> object:
    """The status, with redirects named by where they go."""
    if response.status_code != 302:
        return response.status_code
    target = response.url
    if target.startswith(reverse("admin:login")):
        return ADMIN_LOGIN
    if target.startswith(reverse("login")):
        return LOGIN
    if target.startswith(reverse("two_factor:verify")) or target.startswith(
        reverse("two_factor:setup")
    ):
        return TWO_FA
    return REDIRECT


def url_names() -> set[str]:
    """Every named URL of the project, with its namespace."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(p for p in (namespace, pattern.namespace) if p)
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_has_a_row():
    names = url_names()
    project = {n for n in names if not n.startswith("admin:")}
    missing = project - set(GET)
    assert not missing, f"URLs with no row in the access matrix: {sorted(missing)}"
    stale = set(GET) - names
    assert not stale, f"rows for URLs that no longer exist: {sorted(stale)}"
    assert {n for n in names if n.startswith("admin:")} >= set(ADMIN_PAGES)


def path_for(name, args, world):
    return reverse(name, args=args(world) if callable(args) else (args or []))


@pytest.mark.parametrize("persona", PERSONAS_ALL)
def test_get_matrix(world, persona):
    client = world.client(persona)
    wrong = []
    for name, (args, expected) in GET.items():
        path = path_for(name, args, world)
        got = outcome(client.get(path))
        want = expected[persona]
        ok = got in (200, 503) if want == "health" else got == want
        if not ok:
            wrong.append(f"{name} {path}: expected {want}, got {got}")
    for name, args in ADMIN_PAGES.items():
        path = path_for(name, args, world)
        want = ADMIN_ONLY[persona]
        got = outcome(client.get(path))
        if got != want:
            wrong.append(f"{name} {path}: expected {want}, got {got}")
    assert not wrong, f"{persona}:\n  " + "\n  ".join(wrong)


def test_a_patient_page_shows_nothing_of_another_patient(world):
    """A 200 for bob on a shared address is his own record, never alice's."""
    client = world.client("other")
    for name in ("patients:home", "patients:check_ins", "patients:contacts", "patients:my_data"):
        text = client.get(reverse(name)).text
        assert "Alice" not in text and world.alice.hospital_number not in text, name


# POST: what each persona may change. (url name, args, data, expected by persona,
# a check that the thing is unchanged when refused.)
def flag_open(world):
    world.flag.refresh_from_db()
    return world.flag.status == "open"


def question_unasked(world):
    world.question.refresh_from_db()
    return world.question.asked_at is None and world.question.answer == ""


def invitation_live(world):
    world.invited.refresh_from_db()
    return world.invited.revoked_at is None


def alice_check_ins(world):
    return world.alice.check_ins.count()


POST = {
    "alerts:acknowledge": (
        lambda o: [o.flag.pk],
        lambda o: {"seen": o.flag.pk},
        "nurse",
        flag_open,
    ),
    "alerts:action": (
        lambda o: [o.flag.pk],
        lambda o: {"kind": "phoned", "note": "Spoke to her", "seen": o.flag.pk},
        "nurse",
        lambda o: not o.flag.episode.actions.exists(),
    ),
    "alerts:resolve": (
        lambda o: [o.flag.pk],
        lambda o: {"note": "Settled", "seen": o.flag.pk},
        "nurse",
        flag_open,
    ),
    "patients:question_asked": (
        lambda o: [o.question.pk],
        {"asked": "1"},
        "patient",
        question_unasked,
    ),
    "patients:question_answer": (
        lambda o: [o.question.pk],
        lambda o: {f"q{o.question.pk}-answer": "What I was told"},
        "patient",
        question_unasked,
    ),
    "patients:question_delete": (
        lambda o: [o.question.pk],
        {},
        "patient",
        lambda o: Question.objects.filter(pk=o.question.pk).exists(),
    ),
    "patients:carer_resend": (lambda o: [o.invited.pk], {}, "patient", invitation_live),
    "patients:carer_revoke": (lambda o: [o.invited.pk], {}, "patient", invitation_live),
}


@pytest.mark.parametrize("persona", PERSONAS_ALL)
def test_post_matrix(world, persona):
    """Each change, posted by each persona, in the table's order (the one allowed
    makes them in turn: acknowledge, then act, then resolve)."""
    client = world.client(persona)
    wrong = []
    for name, (args, data, allowed, unchanged) in POST.items():
        path = path_for(name, args, world)
        got = outcome(client.post(path, data(world) if callable(data) else data))
        if persona == allowed:
            if got not in (200, REDIRECT):
                wrong.append(f"{name}: refused ({got})")
            continue
        refused = {"anon": LOGIN, "nurse_1fa": TWO_FA}.get(persona, 404)
        if got != refused:
            wrong.append(f"{name}: expected {refused}, got {got}")
        if not unchanged(world):
            wrong.append(f"{name}: changed something")
    assert not wrong, f"{persona}:\n  " + "\n  ".join(wrong)


def test_only_alice_and_her_carer_can_check_in_for_her(world):
    """A check-in posted by anyone else lands in their own record or nowhere."""
    before = alice_check_ins(world)
    for persona in ("other", "revoked", "nurse", "other_nurse", "admin", "anon", "nurse_1fa"):
        world.client(persona).post(reverse("patients:check_in"), {"stools_per_day": "9"})
    assert alice_check_ins(world) == before
