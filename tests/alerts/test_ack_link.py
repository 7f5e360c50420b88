"""The acknowledge link in an alert: valid, expired, reused, wrong user."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse

from alerts.messages import ack_token, ack_url
from alerts.models import Alert, Notification
from alerts.services import flagging
from patients.models import Flag

from ..conftest import login
from ..factories import make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def alert_and_link(patient, at=TUESDAY_10):
    check_in = make_check_in(patient, at=at, stools_per_day=9, headache=1)
    flagging.flag_check_in(check_in.pk, now=at)
    notification = Notification.objects.filter(alert__check_in=check_in).first()
    with time_machine.travel(at, tick=False):
        token = ack_token(notification.pk)
    return notification, reverse("alerts:ack", args=[token])


def test_the_link_lands_on_the_most_urgent_flag_with_acknowledge_one_tap_away(
    nurse_client, patient, nurse
):
    notification, link = alert_and_link(patient)

    # The whole visit happens five minutes after the alert, so the staff idle
    # timeout never sees a gap between the alert's day and the real date.
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=5), tick=False):
        response = nurse_client.get(link, follow=True)

        red = Flag.objects.get(symptom="stools_per_day")
        assert response.redirect_chain == [(reverse("alerts:flag", args=[red.pk]), 302)]
        assert "acknowledge below to stop escalation" in response.text
        acknowledge = '<button class="btn btn-primary btn-lg w-100" type="submit">Acknowledge'
        assert acknowledge in response.text
        notification.refresh_from_db()
        assert notification.link_used_by == nurse

        nurse_client.post(reverse("alerts:acknowledge", args=[red.pk]), {"seen": red.pk})  # 2nd tap
        # The check-in also opened a headache episode: its alert escalates until that
        # one is seen too.
        assert Alert.objects.get().acknowledged_at is None
        amber = Flag.objects.get(symptom="headache")
        nurse_client.post(reverse("alerts:acknowledge", args=[amber.pk]), {"seen": amber.pk})
        assert Alert.objects.get().acknowledged_by == nurse


def test_the_link_asks_for_login_first_and_comes_back(client, patient, nurse):
    _, link = alert_and_link(patient)

    response = client.get(link)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


def test_an_expired_link_says_so_and_is_not_used_up(nurse_client, patient, settings):
    notification, link = alert_and_link(patient)
    later = TUESDAY_10 + timedelta(seconds=settings.ACK_LINK_MAX_AGE_SECONDS + 1)

    with time_machine.travel(later, tick=False):
        response = nurse_client.get(link)

    assert response.status_code == 410
    assert "This link has expired." in response.text
    assert Notification.objects.get(pk=notification.pk).link_used_at is None


def test_a_link_works_once(nurse_client, patient):
    _, link = alert_and_link(patient)

    with time_machine.travel(TUESDAY_10 + timedelta(minutes=1), tick=False):
        first = nurse_client.get(link)
        second = nurse_client.get(link)

    assert first.status_code == 302
    assert second.status_code == 410
    assert "This link has been used already." in second.text


def test_a_clinician_of_another_team_gets_404_and_does_not_use_up_the_link(
    client, patient, other_nurse
):
    notification, link = alert_and_link(patient)
    login(client, other_nurse)

    with time_machine.travel(TUESDAY_10 + timedelta(minutes=1), tick=False):
        response = client.get(link)

    assert response.status_code == 404
    assert Notification.objects.get(pk=notification.pk).link_used_at is None


def test_the_patient_cannot_use_the_link(patient_client, patient):
    _, link = alert_and_link(patient)

    with time_machine.travel(TUESDAY_10 + timedelta(minutes=1), tick=False):
        assert patient_client.get(link).status_code == 404


def test_a_tampered_link_is_not_found(nurse_client, patient):
    notification, link = alert_and_link(patient)
    other = Notification.objects.exclude(pk=notification.pk).first()
    forged = link.replace(f"/ack/{notification.pk}:", f"/ack/{other.pk}:")

    assert forged != link
    assert nurse_client.get(forged).status_code == 404
    assert nurse_client.get(reverse("alerts:ack", args=["nonsense"])).status_code == 404


def test_the_url_in_messages_is_absolute(patient, settings):
    settings.SITE_URL = "https://tracker.example.org"
    notification, _ = alert_and_link(patient)

    assert ack_url(notification.pk).startswith("https://tracker.example.org/triage/ack/")
