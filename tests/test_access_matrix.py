"""Who may open what: every URL pattern the resolver knows, with every HTTP method,
as every persona (issue 5, made complete by construction in issue 12).

The list of URLs is walked from the resolver itself, named or not, the Django
admin's included; the admin's pages are generated from `admin.site._registry`
(each model's list, add, change, delete and history pages and any page its
ModelAdmin adds). A URL the walk finds with no row in the table below fails
`test_every_url_has_a_row`, so a new page cannot be added without saying who may
use it; `test_an_unguarded_url_fails_the_matrix` shows that with a resolver that
has one more, unguarded, pattern.

Each URL is asked with GET, HEAD, OPTIONS, POST, PUT, PATCH and DELETE by each
persona (tests/personas.py). A row gives the outcome of a GET, which every method
the view handles as a GET shares; `post` the outcome of a POST when it differs; and
`handles` the methods the view answers at all: any other method is refused (405)
once the view's guard has let the persona through, and by the guard before. A POST
carries `data` that would change something if it were accepted.

Nothing may change in the database when a persona asks a URL it may not change
anything through (`writes` names who may): a snapshot of every table (its rows'
digest, sessions aside) is compared before and after each such (URL, persona).
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse

from clinical.catalogue import BASELINE_ITEMS
from patients.notebook import SUGGESTED_QUESTIONS

from .personas import PERSONAS, SHARED_SETTINGS, build_world, shared_settings

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
ALL = " ".join(METHODS)
AS_GET = "GET HEAD OPTIONS POST PUT PATCH DELETE"  # any method not POST is read as a GET
FORM_VIEW = "GET HEAD OPTIONS POST PUT"  # Django's FormView: PUT is a POST, OPTIONS the Allow
POST_ONLY = "POST"

LOGIN = "login"  # a redirect to the login page
TWO_FA = "2fa"  # a redirect to the second-factor page
REDIRECT = "redirect"  # a redirect elsewhere (a role's own home, the page itself)
ADMIN_LOGIN = "admin-login"
HEALTH = "health"  # 200 or 503: what the deployment's services say, not who asks
REFUSED = {LOGIN, TWO_FA, ADMIN_LOGIN, 400, 403, 404, 405}
STAFF = {"admin"}


def row(anon, patient, other, carer, other_carer, revoked, nurse, other_nurse, coordinator, admin,
        nurse_1fa=TWO_FA):  # fmt: skip
    """Outcomes by persona. The half-logged-in nurse reaches nothing by default, and
    an erased patient's old session is nobody's: the anonymous outcome."""
    values = [anon, patient, other, carer, other_carer, revoked, nurse, other_nurse]
    values += [coordinator, admin, nurse_1fa, anon]
    return dict(zip(PERSONAS, values, strict=True))


def everyone(outcome, nurse_1fa=None):
    return row(*[outcome] * 10, nurse_1fa=outcome if nurse_1fa is None else nurse_1fa)


PATIENT_ONLY = row(LOGIN, 200, 200, 404, 404, 404, 404, 404, 404, 404)
PATIENT_OR_CARER = row(LOGIN, 200, 200, 200, 200, 404, 404, 404, 404, 404)
ALICE_OR_CARER = row(LOGIN, 200, 404, 200, 404, 404, 404, 404, 404, 404)  # alice's record
POST_FOR_PATIENTS = row(LOGIN, 405, 405, 404, 404, 404, 404, 404, 404, 404)
ALICE_POSTS = row(LOGIN, REDIRECT, 404, 404, 404, 404, 404, 404, 404, 404)
CLINICIANS = row(LOGIN, 404, 404, 404, 404, 404, 200, 200, 200, 404)
ALICE_TEAM = row(LOGIN, 404, 404, 404, 404, 404, 200, 404, 200, 404)
ALICE_TEAM_AND_ADMIN = row(LOGIN, 404, 404, 404, 404, 404, 200, 404, 200, 200)
POST_FOR_CLINICIANS = row(LOGIN, 404, 404, 404, 404, 404, 405, 405, 405, 404)
ALICE_TEAM_POSTS = row(LOGIN, 404, 404, 404, 404, 404, REDIRECT, 404, REDIRECT, 404)
PATIENTS = {"patient", "other"}
ALICE = {"patient"}
TEAM = {"nurse", "coordinator"}
CARERS = {"carer", "other_carer"}
PATIENTS_POST = row(LOGIN, REDIRECT, REDIRECT, 404, 404, 404, 404, 404, 404, 404)
SUGGESTED_KEY = next(iter(SUGGESTED_QUESTIONS))
EXPORT_JOB = "6f1c2a4e-0000-4000-8000-000000000001"  # a bulk export's status URL


@dataclass(frozen=True)
class Row:
    """What each persona gets from one URL."""

    expected: dict  # persona -> outcome of a GET
    path: Callable | None = None  # world -> the URL; None: it takes no argument
    handles: str = AS_GET
    post: dict | None = None  # persona -> outcome of a POST, when not a GET's
    other: dict = field(default_factory=dict)  # method -> outcomes, when not a GET's
    data: Callable | dict = field(default_factory=dict)  # world -> a POST that changes
    writes: frozenset = frozenset()  # who may change something through it
    fresh: bool = False  # a POST ends the session: send it from a client of its own
    audited: frozenset = frozenset()  # whose visit adds to the audit trail (and only that)

    def outcome(self, method: str, persona: str):
        if method == "POST" and self.post is not None:
            return self.post[persona]
        if method in self.other:
            return self.other[method][persona]
        if method in self.handles.split():
            return self.expected[persona]
        got = self.expected[persona]
        return got if got in REFUSED else 405


def reads_as_get(entry: Row, method: str, persona: str) -> bool:
    """A method the view answers as a GET, for a persona the GET lets in."""
    return (
        method in entry.handles.split()
        and method not in entry.other
        and entry.outcome("GET", persona) not in REFUSED
    )


def flag_pk(o):
    return [o.flag.pk]


def question_pk(o):
    return [o.question.pk]


def team_pk(o):
    return [o.team.pk]


def rev(name, args=None):
    return lambda o: reverse(name, args=args(o) if args else [])


def check_in_data(o):
    return {"form_token": "00000000-0000-0000-0000-0000000000aa", "stools_per_day": "9"}


def enrolment_data(o):
    """A whole enrolment into alice's team (tests/alerts/test_enrolment.py)."""
    return {
        "patient-form_token": "00000000-0000-0000-0000-0000000000ee",
        "patient-first_name": "Mo",
        "patient-last_name": "Enrolled",
        "patient-hospital_number": "MATRIX1",
        "patient-care_team": str(o.team.pk),
        "treatment-kind": "checkpoint_inhibitor",
        "treatment-medicines": "nivolumab",
        "treatment-status": "active",
        "treatment-start_date": "2026-01-05",
        "usual-usual": "later",
    }


# The project's own URLs, by name (or, for an unnamed pattern, by its route).
PROJECT = {
    "login": Row(everyone(200), handles=FORM_VIEW, writes=frozenset(PERSONAS)),
    # A POST logs out: whoever asks may end their own session.
    "logout": Row(
        everyone(405),
        handles="POST OPTIONS",
        post=everyone(LOGIN),
        other={"OPTIONS": everyone(200)},
        writes=frozenset(PERSONAS),
        fresh=True,
    ),
    # Only a half-logged-in clinician has anything to do on the second-factor pages.
    "two_factor:verify": Row(
        row(LOGIN, *[REDIRECT] * 9, nurse_1fa=200),
        data={"code": "000000"},
        writes=frozenset({"nurse_1fa"}),  # a wrong code counts against the device
    ),
    "two_factor:setup": Row(row(LOGIN, *[REDIRECT] * 9, nurse_1fa=TWO_FA), data={"code": "000000"}),
    # Anyone may ask for a reset: the page says the same whoever asks.
    "password_reset": Row(
        everyone(200),
        handles=FORM_VIEW,
        post=everyone(REDIRECT),
        data={"email": "alice@example.org"},
        writes=frozenset(PERSONAS),
    ),
    "password_reset_done": Row(everyone(200), handles="GET HEAD OPTIONS"),
    "password_reset_confirm": Row(
        everyone(200),
        path=rev("password_reset_confirm", lambda o: ["MQ", "not-a-token"]),
        data={"new_password1": "n3w-Passw0rd-x", "new_password2": "n3w-Passw0rd-x"},
    ),
    "password_reset_complete": Row(everyone(200), handles="GET HEAD OPTIONS"),
    "welcome": Row(
        everyone(200, nurse_1fa=TWO_FA),
        path=rev("welcome", lambda o: ["MQ", "not-a-token"]),
        data={"new_password1": "n3w-Passw0rd-x", "new_password2": "n3w-Passw0rd-x"},
    ),
    "set_language": Row(  # a GET changes nothing: back to the page
        everyone(REDIRECT), data={"language": "en-gb"}, writes=frozenset(PERSONAS)
    ),
    "set_text_size": Row(
        everyone(405),
        handles=POST_ONLY,
        post=everyone(REDIRECT),
        data={"size": "large"},
        writes=frozenset(PERSONAS),
    ),
    "health": Row(everyone(HEALTH), handles="GET HEAD"),
    # The SMS provider's webhook: signed by the provider, never by a session; nobody
    # here holds SMS_TOKEN, so every POST is refused (403) and nothing is written.
    "sms_inbound": Row(
        everyone(405, nurse_1fa=TWO_FA),
        handles=POST_ONLY,
        post=everyone(403, nurse_1fa=TWO_FA),
        data={"From": "+447700900123", "Body": "CP", "MessageSid": "SMmatrix"},
    ),
    "alerts:queue": Row(CLINICIANS),
    "alerts:missed": Row(CLINICIANS),
    "alerts:ack": Row(
        row(LOGIN, *[404] * 9),
        path=rev("alerts:ack", lambda o: ["not-a-token"]),
    ),
    "alerts:flag": Row(ALICE_TEAM, path=rev("alerts:flag", flag_pk), writes=frozenset(TEAM)),
    "alerts:acknowledge": Row(
        POST_FOR_CLINICIANS,
        path=rev("alerts:acknowledge", flag_pk),
        handles=POST_ONLY,
        post=ALICE_TEAM_POSTS,
        data=lambda o: {"seen": o.flag.pk},
        writes=frozenset(TEAM),
    ),
    "alerts:action": Row(
        POST_FOR_CLINICIANS,
        path=rev("alerts:action", flag_pk),
        handles=POST_ONLY,
        post=ALICE_TEAM_POSTS,
        data=lambda o: {"kind": "phoned", "note": "Spoke to her", "seen": o.flag.pk},
        writes=frozenset(TEAM),
    ),
    "alerts:resolve": Row(
        POST_FOR_CLINICIANS,
        path=rev("alerts:resolve", flag_pk),
        handles=POST_ONLY,
        post=ALICE_TEAM_POSTS,
        data=lambda o: {"note": "Settled", "seen": o.flag.pk},
        writes=frozenset(TEAM),
    ),
    "alerts:patient": Row(
        ALICE_TEAM, path=rev("alerts:patient", lambda o: [o.alice.pk]), writes=frozenset(TEAM)
    ),
    # Phone triage: any clinician searches their own teams' patients; alice's team
    # records a call with her (a check-in and its call, audited); the preview saves nothing.
    "alerts:patient_search": Row(CLINICIANS),
    "alerts:call": Row(
        ALICE_TEAM,
        path=rev("alerts:call", lambda o: [o.alice.pk]),
        post=ALICE_TEAM_POSTS,
        data={
            "form_token": "0e6c1b9a-0000-4000-8000-000000000015",
            "stools_per_day": "3",
            "advice": "same_day",
        },
        writes=frozenset(TEAM),
    ),
    "alerts:call_preview": Row(
        POST_FOR_CLINICIANS,
        path=rev("alerts:call_preview", lambda o: [o.alice.pk]),
        handles=POST_ONLY,
        post=row(LOGIN, 404, 404, 404, 404, 404, 200, 404, 200, 404),
        data={"stools_per_day": "9"},
    ),
    # Enrolment in clinic: any clinician, into their own teams (olga's team is not
    # alice's, so her POST is refused on the page and saves nothing).
    "alerts:enrol": Row(
        CLINICIANS,
        post=row(LOGIN, 404, 404, 404, 404, 404, REDIRECT, 200, REDIRECT, 404),
        data=enrolment_data,
        writes=frozenset(TEAM),
    ),
    # The welcome letter holds a live invitation link: the team's, and each opening
    # audited. A POST cancels earlier links (alice has a password: nothing to cancel).
    "alerts:welcome_letter": Row(
        ALICE_TEAM,
        path=rev("alerts:welcome_letter", lambda o: [o.alice.pk]),
        post=ALICE_TEAM_POSTS,
        writes=frozenset(TEAM),
        audited=frozenset(TEAM),
    ),
    # The clinic summary: the team's view of it is audited, as the patient's page is.
    "alerts:patient_summary": Row(
        ALICE_TEAM,
        path=rev("alerts:patient_summary", lambda o: [o.alice.pk]),
        writes=frozenset(TEAM),
    ),
    "alerts:patient_sms_card": Row(
        ALICE_TEAM,
        path=rev("alerts:patient_sms_card", lambda o: [o.alice.pk]),
        writes=frozenset(TEAM),
    ),
    # A new confirmation code texted by the team (alice takes no SMS: nothing sent).
    "alerts:text_sms_code": Row(
        POST_FOR_CLINICIANS,
        path=rev("alerts:text_sms_code", lambda o: [o.alice.pk]),
        handles=POST_ONLY,
        post=ALICE_TEAM_POSTS,
        writes=frozenset(TEAM),
    ),
    # Admins manage every team's contact list; the figures are counts, no patient.
    # The figures keep their day rows (alerts.TeamDay) when first read.
    "alerts:figures": Row(
        ALICE_TEAM_AND_ADMIN,
        path=rev("alerts:figures", team_pk),
        writes=frozenset({*TEAM, "admin"}),
    ),
    "alerts:contacts": Row(ALICE_TEAM_AND_ADMIN, path=rev("alerts:contacts", team_pk)),
    # Nurses read the list; the team's coordinator and admins change it.
    "alerts:edit_contacts": Row(
        row(LOGIN, 404, 404, 404, 404, 404, 404, 404, 200, 200),
        path=rev("alerts:edit_contacts", team_pk),
        # An empty list is refused (400) to those who may edit it.
        post=row(LOGIN, 404, 404, 404, 404, 404, 404, 404, 400, 400),
        data={"form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"},
        writes=frozenset({"coordinator", "admin"}),
    ),
    "patients:home": Row(
        row(LOGIN, 200, 200, 200, 200, 200, REDIRECT, REDIRECT, REDIRECT, REDIRECT)
    ),
    "patients:first_visit": Row(PATIENT_ONLY),
    "patients:choose_patient": Row(
        row(LOGIN, *[405] * 9),
        path=rev("patients:choose_patient", lambda o: [o.cara_link.pk]),
        handles=POST_ONLY,
        post=row(LOGIN, 404, 404, REDIRECT, 404, 404, 404, 404, 404, 404),
        writes=frozenset({"carer"}),
    ),
    "patients:baseline": Row(
        PATIENT_ONLY,
        post=PATIENTS_POST,
        # A usual answers every item: none (0) for the rest (issue 13, item 3).
        data={
            **{item.key: "0" for item in BASELINE_ITEMS},
            "stools_per_day": "3",
            "fatigue": "1",
            "wellbeing": "8",
        },
        writes=frozenset(PATIENTS),
    ),
    "patients:check_in": Row(
        PATIENT_OR_CARER,
        post=row(LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, 404, 404, 404, 404, 404),
        data=check_in_data,
        writes=frozenset({*PATIENTS, *CARERS}),
    ),
    # A carer's view of the history is audited.
    "patients:check_in_result": Row(
        ALICE_OR_CARER,
        path=rev("patients:check_in_result", lambda o: [o.check_in.pk]),
        audited=frozenset(CARERS),
    ),
    "patients:check_ins": Row(PATIENT_OR_CARER, audited=frozenset(CARERS)),
    "patients:summary": Row(PATIENT_OR_CARER, audited=frozenset(CARERS)),
    "patients:contacts": Row(PATIENT_OR_CARER),
    "patients:treatment": Row(PATIENT_ONLY),
    "patients:questions": Row(
        PATIENT_ONLY, post=PATIENTS_POST, data={"text": "Can I swim?"}, writes=frozenset(PATIENTS)
    ),
    "patients:question_add_suggested": Row(
        POST_FOR_PATIENTS,
        handles=POST_ONLY,
        post=row(LOGIN, REDIRECT, REDIRECT, 404, 404, 404, 404, 404, 404, 404),
        data={"key": SUGGESTED_KEY},
        writes=frozenset(PATIENTS),
    ),
    "patients:question_asked": Row(
        POST_FOR_PATIENTS,
        path=rev("patients:question_asked", question_pk),
        handles=POST_ONLY,
        post=ALICE_POSTS,
        data={"asked": "1"},
        writes=frozenset(ALICE),
    ),
    "patients:question_answer": Row(
        POST_FOR_PATIENTS,
        path=rev("patients:question_answer", question_pk),
        handles=POST_ONLY,
        post=ALICE_POSTS,
        data=lambda o: {f"q{o.question.pk}-answer": "What I was told"},
        writes=frozenset(ALICE),
    ),
    "patients:question_delete": Row(
        POST_FOR_PATIENTS,
        path=rev("patients:question_delete", question_pk),
        handles=POST_ONLY,
        post=ALICE_POSTS,
        writes=frozenset(ALICE),
    ),
    "patients:carers": Row(
        PATIENT_ONLY,
        post=PATIENTS_POST,
        data={"name": "Vic", "email": "vic@example.org"},
        writes=frozenset(PATIENTS),
    ),
    "patients:carer_resend": Row(
        POST_FOR_PATIENTS,
        path=rev("patients:carer_resend", lambda o: [o.invited.pk]),
        handles=POST_ONLY,
        post=ALICE_POSTS,
        writes=frozenset(ALICE),
    ),
    "patients:carer_revoke": Row(
        POST_FOR_PATIENTS,
        path=rev("patients:carer_revoke", lambda o: [o.invited.pk]),
        handles=POST_ONLY,
        post=ALICE_POSTS,
        writes=frozenset(ALICE),
    ),
    "patients:carer_accept": Row(
        everyone(400, nurse_1fa=TWO_FA),
        path=rev("patients:carer_accept", lambda o: ["not-a-token"]),
        data={"name": "Eve", "password1": "n3w-Passw0rd-x", "password2": "n3w-Passw0rd-x"},
    ),
    "patients:reminders": Row(
        PATIENT_ONLY,
        post=PATIENTS_POST,
        data={"reminders": "on", "reminder_time": "09:00"},
        writes=frozenset(PATIENTS),
    ),
    "patients:sms_card": Row(PATIENT_ONLY),
    "patients:stop_reminders": Row(
        everyone(404, nurse_1fa=TWO_FA),
        path=rev("patients:stop_reminders", lambda o: ["not-a-token"]),
    ),
    "patients:my_data": Row(PATIENT_ONLY, writes=frozenset(PATIENTS)),
    "patients:my_data_json": Row(PATIENT_ONLY, writes=frozenset(PATIENTS)),
    "patients:my_data_csv": Row(PATIENT_ONLY, writes=frozenset(PATIENTS)),
    # Unnamed: the admin's login is ours (symptom_tracker/urls.py).
    "admin/login/": Row(everyone(LOGIN, nurse_1fa=TWO_FA)),
    # The FHIR API (fhir/): a record system's token or nothing. A session, the
    # half-logged-in nurse's included, is ignored: no one here holds a token (401 on
    # every method, before the method is looked at). The token endpoint takes a POST
    # of a client's credentials (none here: refused, nothing written).
    "fhir:token": Row(
        everyone(405, nurse_1fa=405),
        handles="POST OPTIONS",
        post=everyone(401, nurse_1fa=401),
        other={"OPTIONS": everyone(200, nurse_1fa=200)},
        data={"grant_type": "client_credentials"},
    ),
    "fhir:metadata": Row(everyone(200, nurse_1fa=200), handles="GET HEAD"),
    "fhir:smart_configuration": Row(everyone(200, nurse_1fa=200), handles="GET HEAD"),
    "fhir:everything": Row(
        everyone(401, nurse_1fa=401),
        path=rev("fhir:everything", lambda o: [o.alice.pk]),
        handles=ALL,
    ),
    "fhir:read": Row(
        everyone(401, nurse_1fa=401),
        path=rev("fhir:read", lambda o: ["Patient", o.alice.pk]),
        handles=ALL,
    ),
    "fhir:search": Row(
        everyone(401, nurse_1fa=401), path=rev("fhir:search", lambda o: ["Flag"]), handles=ALL
    ),
    # Bulk export: the kick-offs, a job's status URL (GET polls, DELETE cancels) and its
    # files are a token's too; no one here holds one (401 on every method).
    "fhir:export": Row(everyone(401, nurse_1fa=401), handles=ALL),
    "fhir:group_export": Row(
        everyone(401, nurse_1fa=401),
        path=rev("fhir:group_export", lambda o: [o.alice.care_team_id]),
        handles=ALL,
    ),
    "fhir:export_status": Row(
        everyone(401, nurse_1fa=401),
        path=rev("fhir:export_status", lambda o: [EXPORT_JOB]),
        handles=ALL,
    ),
    "fhir:export_file": Row(
        everyone(401, nurse_1fa=401),
        path=rev("fhir:export_file", lambda o: [EXPORT_JOB, "Patient.ndjson"]),
        handles=ALL,
    ),
    # Any other path under /fhir/: a token's too (401), then a 404 OperationOutcome.
    "fhir:unknown": Row(
        everyone(401, nurse_1fa=401),
        path=lambda o: f"/fhir/r4/Patient/{o.alice.pk}/_history",
        handles=ALL,
    ),
}


# The Django admin: one site, staff only, every page behind the same check
# (admin_view: staff with a verified second factor). A model's pages are generated
# from the registry (ADMIN_MODEL_PAGE); the site's own are here.
def admin_site_rows():
    return {
        "admin:index": Row(NON_STAFF),
        # Shadowed by "admin/login/" above: never reached.
        "admin:login": Row(everyone(LOGIN, nurse_1fa=TWO_FA)),
        # Django's LogoutView: a POST logs out; the admin's guard comes first.
        "admin:logout": Row(
            row(*[REDIRECT] * 9, 405),
            handles=ALL,
            post=row(*[REDIRECT] * 9, LOGIN),
            other={
                "OPTIONS": row(*[REDIRECT] * 9, 200),
                **{m: row(*[REDIRECT] * 9, 405) for m in ("PUT", "PATCH", "DELETE")},
            },
            fresh=True,
            writes=frozenset(PERSONAS),
        ),
        "admin:password_change": Row(NON_STAFF, handles=FORM_VIEW, writes=frozenset(STAFF)),
        "admin:password_change_done": Row(NON_STAFF, handles="GET HEAD OPTIONS"),
        # Without a field to complete, refused; it answers GET only.
        "admin:autocomplete": Row(
            staff(403),
            handles="GET HEAD OPTIONS",
            post=staff(405),
            other={"OPTIONS": staff(200), **{m: staff(405) for m in ("PUT", "PATCH", "DELETE")}},
        ),
        "admin:jsi18n": Row(NON_STAFF, handles="GET HEAD OPTIONS"),
        # A patient has no page outside the admin.
        "admin:view_on_site": Row(
            staff(404),
            path=lambda o: reverse("admin:view_on_site", args=[o.patient_type, o.alice.pk]),
        ),
        "admin:app_list": Row(NON_STAFF, path=rev("admin:app_list", lambda o: ["patients"])),
        "admin/(?P<url>.*)$": Row(staff(404), path=lambda o: "/admin/no-such-page/"),
    }


def staff(outcome):
    """Staff only: everyone else is sent to the admin's login (which is ours)."""
    return row(*[ADMIN_LOGIN] * 9, outcome)


NON_STAFF = staff(200)

# What the admin gets from a model's page, where not a 200 (or a redirect from the
# unnamed "<id>/"): key -> (outcome of every method, or {method: outcome}).
ADMIN_ONLY_VIEWS = {"GET": 200, "HEAD": 200, "OPTIONS": 200, "PUT": 200, "PATCH": 200}
READ_ONLY = {**ADMIN_ONLY_VIEWS, "POST": 403, "DELETE": 200}  # a view-only change page
STAFF_GETS = {
    # django-axes' records are made by logins only; totp secrets are never shown.
    "admin:axes_accessattempt_add": 403,
    "admin:axes_accesslog_add": 403,
    "admin:axes_accessfailurelog_add": 403,
    "admin:otp_totp_totpdevice_config": 403,
    "admin:otp_totp_totpdevice_qrcode": 403,
    # A patient is erased (its own page), never deleted.
    "admin:patients_patient_delete": REDIRECT,
    # Check-ins are the patient's, flags the worker's: never changed or deleted here.
    "admin:patients_checkin_change": READ_ONLY,
    "admin:patients_checkin_delete": 403,
    "admin:patients_flag_delete": 403,
    "admin:patients_flag_add": 403,
    # Alerts and their notifications are the worker's, and the record of who was told.
    "admin:alerts_alert_add": 403,
    "admin:alerts_alert_delete": 403,
    "admin:alerts_notification_add": 403,
    "admin:alerts_notification_delete": 403,
    # Carers are the patient's to invite.
    "admin:patients_carer_add": 403,
    # An API client is revoked, never deleted.
    "admin:fhir_clientaccess_delete": 403,
    # The audit trail is append-only.
    "admin:patients_auditevent_add": 403,
    "admin:patients_auditevent_change": READ_ONLY,
    "admin:patients_auditevent_delete": 403,
}
# The admin's POST with nothing in it, where it is not a 200 (a form with errors).
STAFF_POSTS = {
    "admin:patients_patient_erase": 400,  # the hospital number was not typed
    "admin:axes_accessattempt_change": REDIRECT,  # read-only fields: nothing saved
    "admin:axes_accesslog_change": REDIRECT,
    "admin:axes_accessfailurelog_change": REDIRECT,
    "admin:patients_carer_change": REDIRECT,
    "admin:patients_flag_change": REDIRECT,
}
# Where the admin may change nothing: asked with a POST that would, and checked.
STAFF_MAY_NOT = {key for key, got in STAFF_GETS.items() if got in (403, READ_ONLY)}


@dataclass(frozen=True)
class Url:
    key: str  # its name with namespace, or its route when it has none
    route: str  # the whole route, from the root
    name: str | None
    admin_model: type | None  # the model of an admin page


def walk(patterns=None) -> list[Url]:
    """Every URL pattern the resolver knows, in the resolver's order."""
    registry = {(m._meta.app_label, m._meta.model_name): m for m in admin.site._registry}
    found = []

    def visit(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(p for p in (namespace, pattern.namespace) if p)
                visit(pattern.url_patterns, route, inner)
                continue
            assert isinstance(pattern, URLPattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            parts = route.split("/")
            model = registry.get(tuple(parts[1:3])) if parts[0] == "admin" else None
            found.append(Url(name or route, route, name, model))

    visit(get_resolver().url_patterns if patterns is None else patterns, "", "")
    return found


# A model's admin pages, by what follows the model in the URL's name; "" for the
# unnamed "<object_id>/", which redirects to the change page.
ADMIN_PAGE_KINDS = ("changelist", "add", "history", "delete", "change", "")


def admin_model_row(url: Url) -> Row:
    model = url.admin_model
    stem = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
    kind = url.name.removeprefix(stem) if url.name else ""
    got = STAFF_GETS.get(url.key, REDIRECT if kind == "" else 200)
    per_method = got if isinstance(got, dict) else {}
    post = STAFF_POSTS.get(url.key, per_method.get("POST", got))
    return Row(
        staff(got if not per_method else per_method["GET"]),
        path=lambda o: "/" + re.sub(r"<[^>]+>", str(o.sample(model).pk), url.route),
        post=staff(post),
        other={m: staff(g) for m, g in per_method.items() if m != "POST"},
        data=lambda o: admin_change(o, model),
        writes=frozenset() if url.key in STAFF_MAY_NOT else frozenset(STAFF),
        audited=frozenset(STAFF),  # admin views of patient data are audited
    )


def admin_change(o, model) -> dict:
    """A POST that changes something on any admin page that took it: confirm a
    deletion (or an erasure), or delete the object from its list."""
    pk = o.sample(model).pk
    return {
        "post": "yes",
        "action": "delete_selected",
        "_selected_action": [pk],
        "index": "0",
        "hospital_number": o.alice.hospital_number,
    }


def rows() -> dict[str, Row]:
    return {**PROJECT, **admin_site_rows()}


def row_for(url: Url, table: dict[str, Row]) -> Row | None:
    if url.key in table:
        return table[url.key]
    if url.admin_model is not None:
        return admin_model_row(url)
    return None


def every_url_has_a_row(patterns=None) -> None:
    table = rows()
    urls = walk(patterns)
    missing = [u.key for u in urls if row_for(u, table) is None]
    assert not missing, f"URLs with no row in the access matrix: {missing}"
    stale = set(table) - {u.key for u in urls}
    assert not stale, f"rows for URLs that no longer exist: {sorted(stale)}"


def test_every_url_has_a_row():
    every_url_has_a_row()


def unguarded(request):
    from django.http import HttpResponse

    return HttpResponse("every patient's name")


def test_an_unguarded_url_fails_the_matrix():
    """A page added with no row (here an unguarded one) fails test_every_url_has_a_row."""
    patterns = [*get_resolver().url_patterns, path("everyone/", unguarded)]
    with pytest.raises(AssertionError, match=r"no row in the access matrix: \['everyone/'\]"):
        every_url_has_a_row(patterns)


# Nothing changed: a digest of every table.

IGNORED_TABLES = {"django_session"}  # a request may touch its own session
AUDIT_TABLE = "patients_auditevent"


def snapshot() -> dict[str, tuple[int, str]]:
    """(row count, digest of the rows) of every table but the sessions."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in IGNORED_TABLES:
                continue
            # The table names come from the database itself, not from a request.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows_ = sorted(repr(r) for r in cursor.fetchall())
            tables[table] = (len(rows_), hashlib.sha256("\n".join(rows_).encode()).hexdigest())
    return tables


class Changes:
    """Whether anything was written since the last look: SQLite counts the rows
    every statement changed, and PostgreSQL the rows each table had inserted,
    updated or deleted in the current transaction (the test's, rolled back after it:
    pg_stat_xact_user_tables); the digest is taken only when that count moved."""

    def __init__(self):
        self.before = snapshot()
        self.count = self._count()

    def _count(self):
        if connection.vendor == "sqlite":
            return connection.connection.total_changes
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                    "FROM pg_stat_xact_user_tables WHERE NOT relname = ANY(%s)",
                    [sorted(IGNORED_TABLES)],
                )
                return cursor.fetchone()[0]
        return None

    def since(self) -> list[str]:
        count = self._count()
        if count is not None and count == self.count:
            return []
        after = snapshot()
        changed = sorted(
            t for t in after.keys() | self.before.keys() if after.get(t) != self.before.get(t)
        )
        self.before, self.count = after, self._count()
        return changed


class Sample:
    """The admin's sample object of each model: alice's where it is hers."""

    def __init__(self, world):
        from django.contrib.auth.models import Group
        from django.contrib.contenttypes.models import ContentType

        self.world = world
        self.patient_type = ContentType.objects.get_for_model(type(world.alice)).pk
        Group.objects.get_or_create(name="Clinicians")
        axes = {"username": "alice", "ip_address": "192.0.2.1", "user_agent": "x"}
        for name, extra in (
            ("AccessAttempt", {"failures_since_start": 1, "get_data": "", "post_data": ""}),
            ("AccessLog", {}),
            ("AccessFailureLog", {"locked_out": False}),
        ):
            model = apps.get_model("axes", name)
            if not model.objects.exists():
                model.objects.create(**axes, **extra)
        from fhir.models import ClientAccess
        from fhir.oauth import create_client

        if not ClientAccess.objects.exists():
            create_client(name="EPR", teams=[world.alice.care_team])
        self.preferred = {
            type(world.alice): world.alice,
            type(world.alice.user): world.alice.user,
            type(world.check_in): world.check_in,
            type(world.flag): world.flag,
            type(world.cara_link): world.cara_link,
        }

    def __call__(self, model):
        found = self.preferred.get(model) or model._default_manager.order_by("pk").first()
        assert found is not None, f"no {model.__name__} for its admin pages: make one in Sample"
        return found


def outcome(response) -> object:
    """The status, with redirects named by where they go."""
    if response.status_code not in (301, 302):
        return response.status_code
    target = response.url
    for prefix, name in (
        (reverse("admin:login"), ADMIN_LOGIN),
        (reverse("login"), LOGIN),
        (reverse("two_factor:verify"), TWO_FA),
        (reverse("two_factor:setup"), TWO_FA),
    ):
        if target.startswith(prefix):
            return name
    return REDIRECT


def ask(client, method, url_path, data):
    client.raise_request_exception = False  # a server error is an outcome: 500
    send = getattr(client, method.lower())
    if method == "POST":
        return send(url_path, data)
    if method in ("GET", "HEAD", "OPTIONS"):
        return send(url_path)
    return send(url_path, data, content_type="application/x-www-form-urlencoded")


CELLS = {"checked": 0}
MINIMUM_CELLS = 10_000  # of the 12 personas x 151 URLs x 7 methods


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """The personas and their records, built once for the module in a transaction
    rolled back at its end; each test's own changes roll back to here (pytest-django's
    `db` nests a savepoint)."""
    with django_db_blocker.unblock(), shared_settings(), transaction.atomic():
        world = build_world()
        sample = Sample(world)
        world.sample, world.patient_type = sample, sample.patient_type
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def world(shared_world, db, settings):
    for name, value in SHARED_SETTINGS.items():
        setattr(settings, name, value)
    return shared_world


@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(world, persona):
    table = rows()
    client = world.client(persona)
    # Logged in before the first snapshot: a login writes (last_login, django-axes).
    own = {key: world.client(persona) for key, entry in table.items() if entry.fresh}
    changes = Changes()
    wrong, cells = [], 0
    for url in walk():
        entry = row_for(url, table)
        assert entry is not None, f"{url.key}: no row (test_every_url_has_a_row)"
        url_path = (
            entry.path(world) if entry.path else reverse(url.name) if url.name else "/" + url.route
        )
        for method in METHODS:
            if method not in ("GET", "POST") and reads_as_get(entry, method, persona):
                continue  # the persona may open the page: another verb for it is no news
            data = entry.data(world) if callable(entry.data) else entry.data
            if url.admin_model is not None and persona in STAFF and url.key not in STAFF_MAY_NOT:
                data = {}  # the admin may: ask without destroying the world the next rows need
            sender = own[url.key] if entry.fresh and method == "POST" else client
            got = outcome(ask(sender, method, url_path, data))
            want = entry.outcome(method, persona)
            cells += 1
            ok = got in (200, 503) if want == HEALTH else got == want
            if not ok:
                wrong.append(f"{url.key} {method} {url_path}: expected {want}, got {got}")
        changed = changes.since()
        if persona in entry.audited:
            changed = [t for t in changed if t != AUDIT_TABLE]
        if changed and persona not in entry.writes:
            wrong.append(f"{url.key} {url_path}: changed {changed}")
    CELLS["checked"] += cells
    print(f"\naccess matrix: {persona}: {cells} (URL, method) cells checked")
    assert not wrong, f"{persona}:\n  " + "\n  ".join(wrong)


def test_the_matrix_checked_every_cell():
    """Runs after the personas' tests (in file order): the count the note quotes."""
    if CELLS["checked"] == 0:
        pytest.skip("run with the persona tests")
    print(f"\naccess matrix: {CELLS['checked']} (URL, method, persona) cells checked")
    assert CELLS["checked"] >= MINIMUM_CELLS
