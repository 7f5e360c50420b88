"""Who may see what: patients their own records, nurses their teams' patients, nobody else."""

import uuid

import pytest
from django.urls import reverse

from alerts.models import Alert
from alerts.services import flagging
from patients.models import CheckIn, Episode, Flag

from .conftest import login
from .factories import UserFactory, make_check_in


@pytest.fixture
def flag(patient):
    """An open red flag of alice's, with its alert."""
    check_in = make_check_in(patient, stools_per_day=9)
    flagging.flag_check_in(check_in.pk)
    return Flag.objects.get(check_in=check_in)


@pytest.fixture
def other_flag(other_patient):
    """An open red flag of bob's, in the other team."""
    check_in = make_check_in(other_patient, stools_per_day=9)
    flagging.flag_check_in(check_in.pk)
    return Flag.objects.get(check_in=check_in)


def patient_pages(check_in_pk):
    return [
        reverse("patients:home"),
        reverse("patients:baseline"),
        reverse("patients:check_in"),
        reverse("patients:check_ins"),
        reverse("patients:check_in_result", args=[check_in_pk]),
        reverse("patients:contacts"),
    ]


def triage_pages(flag):
    return [
        reverse("alerts:queue"),
        reverse("alerts:queue") + "?status=resolved",
        reverse("alerts:flag", args=[flag.pk]),
        reverse("alerts:patient", args=[flag.check_in.patient_id]),
    ]


def flag_actions(flag):
    return [
        reverse("alerts:acknowledge", args=[flag.pk]),
        reverse("alerts:resolve", args=[flag.pk]),
    ]


def assert_unchanged(flag):
    flag.refresh_from_db()
    assert flag.status == "open" and flag.acknowledged_by is None
    assert Alert.objects.get(check_in=flag.check_in).escalate_at is not None


# Anonymous visitors


def test_anonymous_visitors_are_sent_to_log_in_from_every_page(client, flag):
    for url in patient_pages(flag.check_in_id) + triage_pages(flag):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


def test_anonymous_visitors_are_sent_to_log_in_by_acknowledge_and_resolve(client, flag):
    for url in flag_actions(flag):
        response = client.post(url, {"note": "Phoned"})
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert_unchanged(flag)


def test_an_anonymous_check_in_is_not_saved(client, patient):
    client.post(reverse("patients:check_in"), {"form_token": str(uuid.uuid4()), "nausea": "2"})

    assert CheckIn.objects.count() == 0


# Patients


def test_a_patient_gets_404_for_another_patients_check_in_result(patient_client, other_patient):
    theirs = make_check_in(other_patient, stools_per_day=9)

    response = patient_client.get(reverse("patients:check_in_result", args=[theirs.pk]))

    assert response.status_code == 404


def test_a_patient_gets_404_for_every_triage_page(patient_client, flag, other_flag):
    for url in triage_pages(flag) + triage_pages(other_flag):
        assert patient_client.get(url).status_code == 404, url


def test_a_patient_cannot_acknowledge_or_resolve_their_own_flag(patient_client, flag):
    for url in flag_actions(flag):
        assert patient_client.post(url, {"note": "I feel fine"}).status_code == 404, url
    assert_unchanged(flag)


# Nurses of another team


def test_a_nurse_of_another_team_gets_404_for_this_teams_flag_and_patient_pages(
    client, other_nurse, flag
):
    login(client, other_nurse)

    assert client.get(reverse("alerts:flag", args=[flag.pk])).status_code == 404
    assert client.get(reverse("alerts:patient", args=[flag.check_in.patient_id])).status_code == 404


def test_a_nurse_of_another_team_cannot_acknowledge_or_resolve_this_teams_flag(
    client, other_nurse, flag
):
    login(client, other_nurse)

    for url in flag_actions(flag):
        assert client.post(url, {"note": "Phoned"}).status_code == 404, url
    assert_unchanged(flag)


def test_a_nurse_of_another_team_sees_only_their_own_teams_flags_in_the_queue(
    client, other_nurse, flag, other_flag
):
    Episode.objects.filter(pk=flag.episode_id).update(status="resolved")  # in the resolved tab too
    another = make_check_in(flag.check_in.patient, headache=3)
    flagging.flag_check_in(another.pk)
    login(client, other_nurse)

    active = client.get(reverse("alerts:queue"))
    resolved = client.get(reverse("alerts:queue") + "?status=resolved")

    assert [row[0] for row in active.context["rows"]] == [other_flag]
    assert resolved.context["rows"] == []
    assert "Alice Morgan" not in active.text and "Bob Okafor" in active.text


# Nurses on patient pages


def test_a_nurse_gets_404_on_the_patient_only_pages(nurse_client, patient):
    own = make_check_in(patient, stools_per_day=9)

    for url in patient_pages(own.pk)[1:]:
        assert nurse_client.get(url).status_code == 404, url
    response = nurse_client.post(
        reverse("patients:check_in"), {"form_token": str(uuid.uuid4()), "nausea": "2"}
    )
    assert response.status_code == 404
    assert CheckIn.objects.count() == 1


# The home page


def test_the_home_page_shows_a_patient_their_dashboard(patient_client):
    response = patient_client.get(reverse("patients:home"))

    assert response.status_code == 200
    assert "patients/dashboard.html" in [t.name for t in response.templates]
    assert "Hello, Alice" in response.text


def test_the_home_page_sends_a_nurse_to_the_triage_queue(nurse_client):
    response = nurse_client.get(reverse("patients:home"))

    assert response.status_code == 302 and response.url == reverse("alerts:queue")


def test_the_home_page_sends_a_staff_admin_without_a_patient_or_team_to_the_admin(
    admin_client_,
):
    response = admin_client_.get(reverse("patients:home"))

    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_the_home_page_tells_a_user_without_a_role_that_the_account_is_not_set_up(client, db):
    login(client, UserFactory(username="charlie"))

    response = client.get(reverse("patients:home"))

    assert response.status_code == 200
    assert "Your account is not set up yet" in response.text


def test_a_staff_admin_without_a_team_gets_404_for_the_triage_queue(admin_client_, flag):
    for url in triage_pages(flag):
        assert admin_client_.get(url).status_code == 404, url


# Methods


def test_acknowledge_and_resolve_only_accept_post(nurse_client, flag):
    for url in flag_actions(flag):
        assert nurse_client.get(url).status_code == 405, url
    assert_unchanged(flag)
