"""Carers: the patient invites someone by email; the carer sees contacts, advice and
history, checks in on the patient's behalf, and loses access when the patient revokes it."""

import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse

from patients.invitations import carer_invitation_url
from patients.models import Carer, CheckIn, Flag

from ..conftest import login
from ..factories import PatientFactory, UserFactory, make_check_in

CARERS = reverse("patients:carers")
CHECK_IN = reverse("patients:check_in")
PASSWORD = "a-long-carer-password-9"

# Pages a carer may use, and pages that stay the patient's own.
CARER_PAGES = ["patients:home", "patients:check_in", "patients:check_ins", "patients:contacts"]
PATIENT_ONLY = [
    "patients:baseline",
    "patients:treatment",
    "patients:questions",
    "patients:reminders",
    "patients:carers",
    "patients:first_visit",
]


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def invite(client, name="Sam Carter", email="Sam@Example.org"):
    return client.post(CARERS, {"name": name, "email": email}, follow=True)


def accept_link() -> str:
    return path_of(re.search(r"https?://\S+/carer/accept/\S+/", mail.outbox[-1].body).group(0))


def test_the_patient_invites_a_carer_by_email(patient_client, patient):
    response = invite(patient_client)

    carer = Carer.objects.get(patient=patient)
    assert (carer.name, carer.email, carer.status) == ("Sam Carter", "sam@example.org", "invited")
    assert "We have emailed Sam Carter a link" in response.text
    assert mail.outbox[-1].to == ["sam@example.org"]
    assert "Alice" in mail.outbox[-1].subject
    assert "People you have invited" in response.text and "Send again" in response.text
    assert re.search(r"Invited</span> on \d+ \w+ \d{4}, not accepted yet", response.text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Sam", "email": "not-an-address"}, "Enter a valid email address."),
        ({"name": "", "email": "sam@example.org"}, "This field is required."),
        ({"name": "Me", "email": "alice@example.org"}, "That is your own email address"),
    ],
)
def test_a_bad_invitation_is_refused_with_a_message(patient_client, patient, data, message):
    response = patient_client.post(CARERS, data)
    assert message in response.text
    assert not Carer.objects.exists() and not mail.outbox


def test_the_same_person_is_not_invited_twice(patient_client, patient):
    invite(patient_client)
    again = invite(patient_client, email="sam@example.org")
    assert "You have already invited this person" in again.text
    assert Carer.objects.count() == 1 and len(mail.outbox) == 1


def test_an_email_that_cannot_be_sent_saves_nothing(patient_client, patient, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    response = invite(patient_client)
    assert "We could not send the email just now, so nothing has been saved" in response.text
    assert not Carer.objects.exists()


def test_a_new_carer_makes_an_account_and_sees_the_patients_pages(client, patient):
    invite(login(client, patient.user))
    client.logout()
    link = accept_link()

    page = client.get(link)
    assert "Alice has asked you to help" in page.text
    weak = client.post(link, {"name": "Sam Carter", "password1": "x", "password2": "x"})
    assert "This password is too short" in weak.text
    assert Carer.objects.get().status == "invited"

    done = client.post(
        link, {"name": "Sam Carter", "password1": PASSWORD, "password2": PASSWORD}, follow=True
    )

    carer = Carer.objects.get()
    assert carer.status == "active" and carer.user.username == "sam@example.org"
    assert carer.user.first_name == "Sam" and carer.user.check_password(PASSWORD)
    assert "You can now see Alice" in done.text
    assert "Helping Alice Morgan" in done.text
    for name in CARER_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    # The link works once.
    client.logout()
    assert client.get(link).status_code == 400


def test_someone_with_an_account_logs_in_to_accept(client, patient):
    UserFactory(username="sam", email="sam@example.org")
    invite(login(client, patient.user))
    client.logout()
    link = accept_link()

    page = client.get(link)
    assert "There is already an account" in page.text
    assert f"{reverse('login')}?next={link}" in page.text

    client.login(username="sam", password="correct-horse-battery")
    assert "Accept as" in client.get(link).text
    client.post(link)
    assert Carer.objects.get().status == "active"


def test_a_patient_cannot_accept_with_their_own_account(client, patient, other_patient):
    invite(login(client, patient.user))
    link = accept_link()
    login(client, other_patient.user)

    response = client.get(link)
    client.post(link)

    assert response.status_code == 400
    assert "This invitation was sent to someone else" in response.text
    assert "Alice" not in response.text  # nor whom it is from
    assert Carer.objects.get().status == "invited"

    # Logging out from that page leads back to the link, to make Sam's account.
    back = client.post(reverse("logout"), {"next": link}, follow=True)
    assert back.redirect_chain[-1][0] == link
    assert "Alice has asked you to help" in back.text and "Make your account" in back.text


def test_a_carer_checks_in_for_the_patient_recorded_as_entered_by_them(
    client, carer, patient, django_capture_on_commit_callbacks
):
    login(client, carer)
    page = client.get(CHECK_IN)
    assert (
        "Check-in for Alice" in page.text and "You are checking in <strong>for Alice" in page.text
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHECK_IN, {"form_token": str(uuid.uuid4()), "stools_per_day": "9"}, follow=True
        )

    saved = CheckIn.objects.get(patient=patient)
    assert (saved.entered_by, saved.entered_by_user) == ("carer", carer)
    assert saved.urgency == "red"
    assert "Urgent: phone now" in response.text and "tel:" in response.text
    assert "Advice for <strong>Alice Morgan</strong>" in response.text
    assert Flag.objects.filter(check_in=saved).exists()
    history = client.get(reverse("patients:check_ins"))
    assert "Entered by you." in history.text
    # The patient sees who entered it.
    client.logout()
    login(client, patient.user)
    assert "Entered by Cara Morgan (carer)" in client.get(reverse("patients:check_ins")).text


def test_a_carer_sees_the_patients_advice_and_history(client, carer, patient):
    mine = make_check_in(patient, stools_per_day=1)
    login(client, carer)
    assert client.get(reverse("patients:check_in_result", args=[mine.pk])).status_code == 200
    assert "Alice's check-ins" in client.get(reverse("patients:check_ins")).text


@pytest.mark.parametrize("name", PATIENT_ONLY)
def test_a_carer_cannot_open_the_patients_own_pages(client, carer, name):
    login(client, carer)
    assert client.get(reverse(name)).status_code == 404


def test_a_carer_sees_nothing_of_another_patient(client, carer, other_patient):
    theirs = make_check_in(other_patient, stools_per_day=1)
    login(client, carer)
    assert client.get(reverse("patients:check_in_result", args=[theirs.pk])).status_code == 404


def test_revoking_ends_access_at_once(client, carer, patient):
    login(client, carer)
    assert client.get(reverse("patients:check_ins")).status_code == 200
    link = Carer.objects.get(user=carer)

    patient_client = client.__class__()
    login(patient_client, patient.user)
    response = patient_client.post(reverse("patients:carer_revoke", args=[link.pk]), follow=True)
    assert "Cara can no longer see your records" in response.text
    assert re.search(r"Access removed</span> on \d+ \w+ \d{4}", response.text)

    for name in CARER_PAGES[1:]:
        assert client.get(reverse(name)).status_code == 404, name
    assert client.post(CHECK_IN, {"form_token": str(uuid.uuid4())}).status_code == 404
    ended = client.get(reverse("patients:home")).text
    assert "Your access has ended" in ended
    assert 'href="tel:999"' in ended  # the emergency number stays within reach
    link.refresh_from_db()
    assert link.status == "revoked"


def test_a_revoked_invitation_link_no_longer_works(client, patient):
    invite(login(client, patient.user))
    link = accept_link()
    client.post(reverse("patients:carer_revoke", args=[Carer.objects.get().pk]))
    client.logout()
    response = client.get(link)
    assert response.status_code == 400 and "no longer works" in response.text


def test_a_patient_cannot_revoke_another_patients_carer(client, carer, other_patient):
    link = Carer.objects.get(user=carer)
    login(client, other_patient.user)
    assert client.post(reverse("patients:carer_revoke", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.status == "active"


def test_resending_sends_a_new_link(patient_client, patient):
    invite(patient_client)
    carer = Carer.objects.get()
    patient_client.post(reverse("patients:carer_resend", args=[carer.pk]))
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["sam@example.org"]


def test_a_tampered_link_is_refused(client, patient):
    carer = Carer.objects.create(patient=patient, name="Sam", email="sam@example.org")
    url = path_of(carer_invitation_url(carer))
    assert client.get(url[:-4] + "abc/").status_code == 400


def test_a_carer_of_two_patients_chooses_whom_to_help(client, carer, team):
    second = PatientFactory(care_team=team, user=UserFactory(username="gus", first_name="Gus"))
    Carer.objects.create(
        patient=second,
        name="Cara",
        email="cara@example.org",
        user=carer,
        accepted_at=second.created_at,
    )
    login(client, carer)

    home = client.get(reverse("patients:home"))
    assert "Whom are you helping today?" in home.text
    assert client.get(CHECK_IN).status_code == 404  # nobody chosen yet

    link = Carer.objects.get(patient=second)
    client.post(reverse("patients:choose_patient", args=[link.pk]))
    assert "Check-in for Gus" in client.get(CHECK_IN).text
    assert "Help someone else" in client.get(reverse("patients:home")).text
