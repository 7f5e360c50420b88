"""A patient's first visit: the invitation link, the password, why the usual matters,
the baseline, then who to phone."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from clinical.catalogue import BASELINE_ITEMS
from patients.admin import PatientAdmin
from patients.invitations import invite_patient, patient_invitation_url
from patients.models import Baseline, Patient

from ..factories import PatientFactory, UserFactory

NEW_PASSWORD = "a-long-new-password-7"


@pytest.fixture
def newcomer(team):
    """A patient the admin has just set up: no password yet, no baseline."""
    user = UserFactory(username="fay", first_name="Fay", last_name="Osei", password=None)
    user.set_unusable_password()
    user.save()
    return PatientFactory(care_team=team, user=user)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def set_password(client, url, password=NEW_PASSWORD, again=None):
    """Open the link (which moves the token into the session) and post the form."""
    response = client.get(path_of(url), follow=True)
    form_url = response.redirect_chain[-1][0]
    return client.post(
        form_url,
        {"new_password1": password, "new_password2": again or password},
        follow=True,
    )


def test_the_invitation_email_carries_a_link_that_sets_a_password(client, newcomer):
    invite_patient(newcomer)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [newcomer.user.email]
    assert "symptom" in message.subject.lower() and "fatigue" not in message.body
    url = re.search(r"https?://\S+/welcome/\S+/", message.body).group(0)
    newcomer.refresh_from_db()
    assert newcomer.invited_at is not None

    response = set_password(client, url)

    assert response.redirect_chain[-1][0] == reverse("patients:first_visit")
    assert "Why we ask how you usually feel" in response.text
    assert response.wsgi_request.user == newcomer.user  # logged in
    newcomer.user.refresh_from_db()
    assert newcomer.user.check_password(NEW_PASSWORD)


def test_the_link_works_once(client, newcomer):
    url = patient_invitation_url(newcomer)
    set_password(client, url)
    client.logout()

    again = client.get(path_of(url), follow=True)

    assert "This link no longer works" in again.text
    assert "new_password1" not in again.text


def test_the_link_expires(client, newcomer, settings):
    url = patient_invitation_url(newcomer)
    with time_machine.travel(
        timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS, hours=1)
    ):
        response = client.get(path_of(url), follow=True)
    assert "This link no longer works" in response.text


def test_the_link_still_works_after_the_password_reset_timeout(client, newcomer, settings):
    """Invitations outlive Django's (short) password-reset limit."""
    settings.PASSWORD_RESET_TIMEOUT = 3600
    url = patient_invitation_url(newcomer)
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        response = set_password(client, url)
    assert response.redirect_chain[-1][0] == reverse("patients:first_visit")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda url: url[:-3] + "xx/",  # a changed token
        lambda url: re.sub(r"/welcome/[^/]+/", "/welcome/MTIzNDU2/", url),  # someone else
    ],
)
def test_a_tampered_link_sets_nothing(client, newcomer, mangle):
    response = client.get(path_of(mangle(patient_invitation_url(newcomer))), follow=True)
    assert "This link no longer works" in response.text
    newcomer.user.refresh_from_db()
    assert not newcomer.user.has_usable_password()


def test_a_weak_or_mismatched_password_is_refused_with_a_message(client, newcomer):
    url = patient_invitation_url(newcomer)

    weak = set_password(client, url, password="123")
    assert "This password is too short" in weak.text

    mismatched = client.post(
        weak.redirect_chain[-1][0] if weak.redirect_chain else weak.request["PATH_INFO"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )
    assert "The two password fields didn" in mismatched.text
    newcomer.user.refresh_from_db()
    assert not newcomer.user.has_usable_password()


def test_only_patients_can_be_invited_this_way(client, nurse):
    """A token for a care-team account (if anyone made one) does not open this page."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from patients.invitations import invitation_tokens

    url = reverse(
        "welcome",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(nurse.pk)),
            "token": invitation_tokens.make_token(nurse),
        },
    )
    assert "This link no longer works" in client.get(url, follow=True).text


def test_first_visit_goes_password_usual_then_who_to_phone(client, newcomer):
    set_password(client, patient_invitation_url(newcomer))

    page = client.get(reverse("patients:first_visit"))
    assert "Start: tell us your usual" in page.text
    assert "Before your first check-in: your usual</h1>" in page.text
    assert "grouped by body area, in plain words" in page.text
    assert "one at a time" not in page.text

    saved = client.post(
        reverse("patients:baseline"), whole_usual(stools_per_day=1, fatigue=1), follow=True
    )

    assert Baseline.objects.filter(patient=newcomer).count() == 1
    assert saved.redirect_chain[-1][0] == reverse("patients:contacts") + "?welcome=1"
    assert "Last step: here is who to phone" in saved.text
    assert "tel:" in saved.text
    assert "You are all set up" in saved.text


def whole_usual(**values) -> dict:
    """Every question of the usual answered, as the page requires: none, then `values`."""
    usual = {item.key: "0" for item in BASELINE_ITEMS}
    return {**usual, "wellbeing": "8", **{k: str(v) for k, v in values.items()}}


def test_after_the_usual_is_recorded_the_first_visit_page_no_longer_says_first(patient_client):
    page = patient_client.get(reverse("patients:first_visit")).text

    assert "Your usual: why it matters</h1>" in page
    assert "Before your first check-in" not in page
    assert "You recorded your usual on" in page and "Change my usual" in page


def test_a_second_baseline_goes_home_not_to_the_welcome(patient_client, patient):
    response = patient_client.post(
        reverse("patients:baseline"), whole_usual(stools_per_day=2), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("patients:home")


def test_the_admin_sends_invitations_and_says_who_was_skipped(newcomer, admin_user, team):
    no_email = PatientFactory(care_team=team, user=UserFactory(username="gil", email=""))
    model_admin = PatientAdmin(Patient, admin.site)
    request = RequestFactory().post("/")
    request.user = admin_user
    notes = []
    model_admin.message_user = lambda request, message, level=None: notes.append(str(message))

    model_admin.send_invitations(request, Patient.objects.filter(pk__in=[newcomer.pk, no_email.pk]))

    assert [m.to for m in mail.outbox] == [[newcomer.user.email]]
    assert any("Sent 1 invitation" in n for n in notes)
    assert any("gil" in n.lower() or no_email.name in n for n in notes)


def test_a_patient_who_set_a_password_can_log_in(client, newcomer):
    set_password(client, patient_invitation_url(newcomer))
    client.logout()
    assert client.login(username="fay", password=NEW_PASSWORD)
    assert get_user_model().objects.get(username="fay").last_login is not None


def test_the_password_form_speaks_plainly(client, newcomer):
    invite_patient(newcomer)
    url = patient_invitation_url(newcomer)

    page = client.get(path_of(url), follow=True).text

    assert "The same password again" in page and "New password confirmation" not in page
