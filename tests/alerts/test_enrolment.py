"""Enrolment in clinic and the welcome letter (issue 15, item 3)."""

import re
import smtplib
import uuid
from datetime import date, timedelta
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts.services.enrolment import qr_svg
from clinical.catalogue import BASELINE_ITEMS
from patients.models import AuditEvent, Baseline, Carer, Patient, Treatment

from ..conftest import Client, login, second_factor
from ..factories import UserFactory, add_member

URL = reverse("alerts:enrol")
TODAY = date.today()
LINK = re.compile(r'<p class="letter-link">([^<]+)</p>')


def valid(**changes) -> dict:
    """A whole enrolment as the page sends it: details, team, treatment, the usual
    recorded now, one carer."""
    data = {
        "patient-form_token": str(uuid.uuid4()),
        "patient-first_name": "Grace",
        "patient-last_name": "Adeyemi",
        "patient-email": "grace@example.org",
        "patient-hospital_number": "RX100200",
        "patient-date_of_birth": "1956-04-02",
        "patient-time_zone": "",
        "patient-mobile_number": "+44 7700 900456",
        "patient-sms_check_ins": "on",
        "treatment-kind": "checkpoint_inhibitor",
        "treatment-medicines": "nivolumab",
        "treatment-status": "active",
        "treatment-start_date": (TODAY - timedelta(days=1)).isoformat(),
        "treatment-schedule": "every 4 weeks",
        "treatment-last_dose_date": (TODAY - timedelta(days=1)).isoformat(),
        "treatment-next_dose_date": (TODAY + timedelta(days=27)).isoformat(),
        "treatment-steroids": "",
        "usual-usual": "now",
        **{f"baseline-{item.key}": "0" for item in BASELINE_ITEMS},
        "baseline-stools_per_day": "1",
        "baseline-wellbeing": "8",
        "carer1-name": "Sam Adeyemi",
        "carer1-email": "sam@example.org",
        "carer2-name": "",
        "carer2-email": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def enrolling(nurse_client, team):
    def post(**changes):
        data = valid(**changes)
        data.setdefault("patient-care_team", str(team.pk))
        return nurse_client.post(URL, data)

    return post


def counts():
    return (
        get_user_model().objects.count(),
        Patient.objects.count(),
        Treatment.objects.count(),
        Baseline.objects.count(),
        Carer.objects.count(),
    )


def test_it_shows_the_empty_form_with_the_nurses_only_team_chosen(nurse_client, team, other_team):
    response = nurse_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    teams = html.split("2. Care team", 1)[1].split("3. Treatment", 1)[0]
    assert f'value="{team.pk}"' in teams and "checked" in teams
    assert other_team.name not in html  # the nurse's teams only
    headings = ("1. The patient", "2. Care team", "3. Treatment", "4. The patient", "5. Carers")
    assert all(heading in html for heading in headings)
    # The usual's questions are the patient's own.
    assert "On a typical day, how many times do you open your bowels?" in html


def test_the_menu_links_to_it_for_clinicians(nurse_client):
    assert URL in nurse_client.get(reverse("alerts:queue")).content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"patient-first_name": ""}, "First name", "Enter the patient's first name."),
        ({"patient-last_name": "  "}, "Last name", "Enter the patient's last name."),
        ({"patient-email": "grace@"}, "Email address (optional)", "Enter an email address like"),
        (
            {"patient-date_of_birth": (TODAY + timedelta(days=2)).isoformat()},
            "Date of birth (optional)",
            "The date of birth cannot be in the future.",
        ),
        (
            {"patient-mobile_number": ""},
            "Mobile number (optional)",
            "SMS check-ins need a mobile number",
        ),
        (
            {"patient-mobile_number": "07700 900456"},
            "Mobile number (optional)",
            "Enter the mobile number in international format",
        ),
        ({"patient-time_zone": "Mars/Olympus"}, "Time zone (optional)", "Enter a time zone name"),
        ({"treatment-medicines": ""}, "Medicines", "Enter the medicines"),
        (
            {"treatment-last_dose_date": (TODAY - timedelta(days=30)).isoformat()},
            "Last dose (optional)",
            "The last dose cannot be before the start.",
        ),
        (
            {"baseline-stools_per_day": ""},
            "Usual: On a typical day, how many times do you open your bowels?",
            "Enter how many times on a typical day",
        ),
        ({"usual-usual": "maybe"}, "The patient's usual (baseline)", "Choose whether to record"),
        ({"carer1-email": ""}, "Carer 1: their email address", "Enter their email address"),
        ({"carer2-name": "Tom"}, "Carer 2: their email address", "Enter their email address"),
        (
            {"carer1-email": "GRACE@example.org"},
            "Carer 1: their email address",
            "That is the patient's own address",
        ),
    ],
)
def test_a_mistake_is_listed_at_the_top_and_nothing_is_saved(enrolling, changes, field, message):
    before = counts()
    response = enrolling(**changes)
    assert response.status_code == 200
    html = response.content.decode()
    summary = unescape(html.split("data-error-summary", 1)[1].split("</ul>", 1)[0])
    assert "Nothing has been saved yet." in summary
    assert f"{field}</a>: {message}" in summary
    assert counts() == before
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="created").exists()


def test_a_hospital_number_already_enrolled_is_refused_naming_no_one(enrolling, other_patient):
    before = counts()
    response = enrolling(**{"patient-hospital_number": other_patient.hospital_number.lower()})
    html = response.content.decode()
    assert "A patient with this hospital number is already enrolled, perhaps with another" in html
    assert "or ask the other teams" in html
    assert other_patient.user.first_name not in html and other_patient.user.last_name not in html
    assert counts() == before


def test_a_mobile_number_or_email_of_someone_else_is_refused(enrolling, other_patient):
    other_patient.mobile_number = "+447700900456"
    other_patient.save()
    html = enrolling(**{"patient-email": other_patient.user.email.upper()}).content.decode()
    assert "This email address already belongs to an account." in html
    assert "Another patient already uses this mobile number." in html
    assert Patient.objects.count() == 1


def test_a_team_that_is_not_the_nurses_is_refused(enrolling, other_team):
    before = counts()
    html = enrolling(**{"patient-care_team": str(other_team.pk)}).content.decode()
    assert "Care team</a>: Choose one of your own care teams." in html
    assert counts() == before


def test_every_usual_question_is_needed_when_recorded_now(enrolling):
    blank = {f"baseline-{item.key}": "" for item in BASELINE_ITEMS}
    html = enrolling(**blank).content.decode()
    assert f"{len(BASELINE_ITEMS)} questions are not answered yet." in html
    assert Patient.objects.count() == 0


def test_a_full_enrolment_creates_exactly_the_record(enrolling, nurse, team):
    with CaptureQueriesContext(connection) as queries:
        response = enrolling()
    patient = Patient.objects.select_related("user").get()
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:welcome_letter", args=[patient.pk]) + "?new=1"
    user = patient.user
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "grace@example.org",
        "grace@example.org",
        "Grace",
        "Adeyemi",
    )
    assert not user.has_usable_password()
    assert (patient.care_team, patient.hospital_number, patient.date_of_birth) == (
        team,
        "RX100200",
        date(1956, 4, 2),
    )
    assert patient.time_zone == team.time_zone  # left empty: the team's
    assert (patient.mobile_number, patient.sms_check_ins) == ("+447700900456", True)
    # Texted its code; nothing else is texted to it, or taken from it, until confirmed.
    assert patient.mobile_confirmed_at is None and patient.mobile_code_sent_at is not None
    assert patient.invited_at is not None
    treatment = Treatment.objects.get()
    assert (treatment.patient, treatment.medicines, treatment.schedule) == (
        patient,
        "nivolumab",
        "every 4 weeks",
    )
    baseline = Baseline.objects.get()
    assert (baseline.patient, baseline.recorded_by) == (patient, nurse)
    assert (baseline.stools_per_day, baseline.wellbeing, baseline.cough) == (1, 8, 0)
    carer = Carer.objects.get()
    assert (carer.patient, carer.name, carer.email, carer.user) == (
        patient,
        "Sam Adeyemi",
        "sam@example.org",
        None,
    )
    assert carer in Carer.objects.pending()
    assert counts() == (2, 1, 1, 1, 1)  # the nurse and the patient
    trail = AuditEvent.objects.filter(patient_id=patient.pk, actor_id=nurse.pk)
    assert sorted(trail.values_list("action", "object_type")) == [
        ("carer_invited", "patients.carer"),
        ("changed", "patients.carer"),  # the carer's invitation sent
        ("changed", "patients.patient"),  # the invitation sent
        ("created", "patients.baseline"),
        ("created", "patients.patient"),
        ("created", "patients.treatment"),
    ]
    assert set(trail.values_list("actor_role", flat=True)) == {"clinician"}
    assert len(queries) <= 45, [q["sql"] for q in queries]


def test_the_invitations_are_emailed_and_their_links_work(enrolling):
    client = Client()  # the patient's browser, and then the carer's
    enrolling()
    patient = Patient.objects.get()
    assert sorted(m.to[0] for m in mail.outbox) == ["grace@example.org", "sam@example.org"]
    to_patient = next(m for m in mail.outbox if m.to == ["grace@example.org"])
    link = re.search(r"http://\S+/welcome/\S+", to_patient.body).group(0)
    page = client.get(link, follow=True)
    assert "Welcome, Grace" in page.content.decode()
    assert "grace@example.org" in page.content.decode()  # the username
    to_carer = next(m for m in mail.outbox if m.to == ["sam@example.org"])
    carer_link = re.search(r"http://\S+", to_carer.body).group(0)
    accept = Client().get(carer_link)
    assert accept.status_code == 200
    assert "Grace" in accept.content.decode()
    assert Carer.objects.get().patient == patient


def test_the_usual_may_be_left_for_the_first_visit(enrolling, client):
    blank = {f"baseline-{item.key}": "" for item in BASELINE_ITEMS}
    response = enrolling(**{"usual-usual": "later", "patient-email": "", **blank})
    assert response.status_code == 302
    patient = Patient.objects.select_related("user").get()
    assert not patient.baselines.exists()
    assert patient.user.username == "RX100200"  # no email: the hospital number
    assert patient.invited_at is None  # nothing to email; the letter has the link
    assert [m.to for m in mail.outbox] == [["sam@example.org"]]


def test_the_same_form_sent_twice_enrols_once(enrolling, nurse_client, team):
    data = valid(**{"patient-care_team": str(team.pk)})
    first = nurse_client.post(URL, data)
    again = nurse_client.post(URL, data)
    patient = Patient.objects.get()
    letter = reverse("alerts:welcome_letter", args=[patient.pk])
    assert first["Location"].startswith(letter)
    assert again.status_code == 302 and again["Location"] == letter
    assert counts() == (2, 1, 1, 1, 1)
    assert len(mail.outbox) == 2


def test_two_sends_at_once_enrol_once(nurse_client, team, monkeypatch):
    """The second request of a double click passed its checks before the first
    committed: its insert fails on the hospital number, and it shows the first."""
    data = valid(
        **{
            "patient-care_team": str(team.pk),
            "patient-mobile_number": "",
            "patient-sms_check_ins": None,
        }
    )
    first = nurse_client.post(URL, data)
    from alerts import enrolment_forms
    from alerts.views import enrolment as views

    monkeypatch.setattr(
        enrolment_forms.PatientDetailsForm,
        "clean_hospital_number",
        lambda form: form.cleaned_data["hospital_number"].strip(),
    )
    monkeypatch.setattr(enrolment_forms, "email_in_use", lambda email: False)
    lookups = iter([None])
    real = views.enrolled_by_form
    monkeypatch.setattr(
        views, "enrolled_by_form", lambda user, token: next(lookups, real(user, token))
    )
    again = nurse_client.post(URL, data)
    assert again.status_code == 302 and again["Location"] == first["Location"].split("?")[0]
    assert counts() == (2, 1, 1, 1, 1)


def test_an_email_that_cannot_be_sent_is_told_not_a_crash(enrolling, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPException("mail server away")

    monkeypatch.setattr("patients.invitations.send_mail", refuse)
    response = enrolling()
    assert response.status_code == 302
    letter = response.client.get(response["Location"]).content.decode()
    assert "The invitation email to Grace Adeyemi could not be sent." in letter
    assert "The invitation to Sam Adeyemi could not be sent." in letter
    assert Patient.objects.count() == 1 and Patient.objects.get().invited_at is None


def letter_of(client, patient):
    return client.get(reverse("alerts:welcome_letter", args=[patient.pk]))


def test_the_letter_holds_the_invitation_link_and_its_qr_code(enrolling, nurse_client):
    client = Client()  # the patient's own browser
    enrolling(**{"patient-email": ""})
    patient = Patient.objects.get()
    response = letter_of(nurse_client, patient)
    assert response.status_code == 200
    html = response.content.decode()
    url = unescape(LINK.search(html).group(1))
    assert url.startswith("http://") and "/welcome/" in url
    assert str(qr_svg(url)) in html  # the QR code encodes exactly that link
    assert "<img" not in html.split('class="welcome-letter"', 1)[1]
    assert "Your username is <strong" in html and "RX100200" in html
    assert "The link works once, until" in html
    # The care-team card, with its numbers, and the emergency number.
    for number in ("020 7946 0101", "020 7946 0999", "999"):
        assert number in html
    assert "My immunotherapy care team card" in html
    assert "do not wait for the tracker" in html
    # The link works: the patient sets a password, and the letter then has none.
    page = client.get(url, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else url
    client.post(
        form_url, {"new_password1": "a-Long-passw0rd!", "new_password2": "a-Long-passw0rd!"}
    )
    patient.user.refresh_from_db()
    assert patient.user.has_usable_password()
    html = letter_of(nurse_client, patient).content.decode()
    assert "/welcome/" not in html and "qr-code" not in html
    assert "You have already chosen your password." in html


def test_the_letter_is_not_stored_and_each_opening_is_audited(nurse_client, patient, nurse):
    for _ in range(2):
        response = letter_of(nurse_client, patient)
        assert "no-store" in response["Cache-Control"]
    events = AuditEvent.objects.filter(
        patient_id=patient.pk, actor_id=nurse.pk, action="viewed", detail__startswith="welcome"
    )
    assert events.count() == 2


def test_another_teams_patient_has_no_letter(nurse_client, other_patient):
    assert letter_of(nurse_client, other_patient).status_code == 404
    assert not AuditEvent.objects.filter(patient_id=other_patient.pk).exists()


def test_the_patient_page_links_to_the_letter(nurse_client, patient):
    html = nurse_client.get(reverse("alerts:patient", args=[patient.pk])).content.decode()
    assert reverse("alerts:welcome_letter", args=[patient.pk]) in html


def test_a_coordinator_of_two_teams_chooses_one(client, team, other_team):
    colin = UserFactory(username="colin")
    add_member(team, colin, role="coordinator")
    add_member(other_team, colin, role="coordinator")
    second_factor(colin)
    coordinator = login(client, colin)
    html = coordinator.get(URL).content.decode()
    teams = html.split("2. Care team", 1)[1].split("3. Treatment", 1)[0]
    assert team.name in teams and other_team.name in teams
    assert "checked" not in teams
    data = valid(**{"patient-care_team": str(other_team.pk)})
    assert coordinator.post(URL, data).status_code == 302
    assert Patient.objects.get().time_zone == "America/New_York"


def test_the_letter_reads_a_bounded_number_of_queries(nurse_client, patient):
    letter_of(nurse_client, patient)
    with CaptureQueriesContext(connection) as queries:
        assert letter_of(nurse_client, patient).status_code == 200
    assert len(queries) <= 24, [q["sql"] for q in queries]


def test_earlier_links_can_be_cancelled_for_a_lost_letter(enrolling, nurse_client, nurse):
    enrolling()
    patient = Patient.objects.get()
    emailed = re.search(r"http://\S+/welcome/\S+", mail.outbox[0].body).group(0)
    printed = unescape(LINK.search(letter_of(nurse_client, patient).content.decode()).group(1))
    response = nurse_client.post(reverse("alerts:welcome_letter", args=[patient.pk]))
    assert response.status_code == 302
    html = nurse_client.get(response["Location"]).content.decode()
    assert "Every earlier link, printed or emailed, no longer works." in html
    fresh = unescape(LINK.search(html).group(1))
    for old in (emailed, printed):
        assert "This link no longer works" in Client().get(old, follow=True).content.decode()
    assert "Welcome, Grace" in Client().get(fresh, follow=True).content.decode()
    assert AuditEvent.objects.filter(
        patient_id=patient.pk, actor_id=nurse.pk, detail="earlier invitation links cancelled"
    ).exists()


def test_a_password_set_is_never_cancelled(nurse_client, patient):
    password = patient.user.password
    nurse_client.post(reverse("alerts:welcome_letter", args=[patient.pk]))
    patient.user.refresh_from_db()
    assert patient.user.password == password and patient.user.has_usable_password()


def test_a_password_chosen_after_the_page_was_read_is_never_replaced(nurse_client, patient):
    """The nurse's request read the patient's account while it had no password; the
    patient chose one before the cancel was written: theirs stands."""
    from alerts.services.enrolment import cancel_invitation_links

    user = patient.user
    user.set_unusable_password()
    user.save(update_fields=["password"])
    stale = Patient.objects.select_related("user").get(pk=patient.pk)
    user.set_password("a new long passphrase")
    user.save(update_fields=["password"])
    assert cancel_invitation_links(stale) is False
    user.refresh_from_db()
    assert user.check_password("a new long passphrase")


def test_cancelling_gives_the_account_a_new_unusable_password(patient):
    from alerts.services.enrolment import cancel_invitation_links

    user = patient.user
    user.set_unusable_password()
    user.save(update_fields=["password"])
    before = user.password
    assert cancel_invitation_links(patient) is True
    user.refresh_from_db()
    assert user.password != before and not user.has_usable_password()
    assert patient.user.password == user.password


def test_an_email_too_long_for_a_username_is_a_form_error(enrolling):
    long = "a" * 64 + "@" + "b" * 63 + "." + "c" * 30 + ".org"  # 163 characters
    carers = "x" * 60 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 62 + ".org"  # 255
    response = enrolling(**{"patient-email": long, "carer1-email": carers})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "too long to be a username (at most 150 characters, it has 163)" in html
    assert "at most 254 characters (it has 255)" in html
    assert counts() == (1, 0, 0, 0, 0)  # the nurse's account only


@pytest.mark.parametrize("taken", ["mobile", "email", "hospital_number"])
def test_a_detail_taken_meanwhile_is_named(nurse_client, team, monkeypatch, taken, other_team):
    """Another enrolment took a detail between this page's checks and its save: the
    page names the detail taken."""
    from alerts.views import enrolment as views

    from ..factories import PatientFactory

    real = views.enrol_patient

    def racing(**kwargs):
        details = kwargs["details"]
        other = {
            "mobile": {"mobile_number": details["mobile_number"]},
            "email": {"user__username": details["email"]},
            "hospital_number": {"hospital_number": details["hospital_number"]},
        }[taken]
        PatientFactory(care_team=other_team, **other)
        return real(**kwargs)

    monkeypatch.setattr(views, "enrol_patient", racing)
    response = nurse_client.post(URL, valid(**{"patient-care_team": str(team.pk)}))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    expected = {
        "mobile": "Another patient already uses this mobile number.",
        "email": "This email address already belongs to an account.",
        "hospital_number": "or ask the other teams",
    }
    for name, message in expected.items():
        assert (message in html) == (name == taken), name
    assert Patient.objects.count() == 1 and not Patient.objects.filter(care_team=team).exists()


def test_the_carers_invitations_sent_are_in_the_trail(enrolling, nurse):
    enrolling()
    patient = Patient.objects.get()
    carer = Carer.objects.get()
    assert AuditEvent.objects.filter(
        patient_id=patient.pk,
        actor_id=nurse.pk,
        action="changed",
        object_type="patients.carer",
        object_id=str(carer.pk),
        detail="carer's invitation sent",
    ).exists()


def test_the_letters_link_is_text_not_a_link(enrolling, nurse_client):
    enrolling()
    html = letter_of(nurse_client, Patient.objects.get()).content.decode()
    link = unescape(LINK.search(html).group(1))
    assert "/welcome/" in link
    assert f'href="{link}"' not in unescape(html) and "/welcome/" not in "".join(
        re.findall(r'href="([^"]*)"', html)
    )
