"""Limits on the emails anyone can ask for (base/throttle.py): password
resets an hour per email address and per client address, and a patient's carer
invitations a day. Past a limit, a clear message and no email; nothing else changes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from base.models import SendCount
from base.throttle import limited_until
from patients.models import Carer

from .conftest import login

RESET = reverse("password_reset")
CARERS = reverse("patients:carers")
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
LONG_S = "\u017f"  # PostgreSQL's UPPER() makes it an S; Python's lower() keeps it


# The counter


@pytest.mark.django_db
def test_the_limit_allows_so_many_a_window_then_says_when_the_window_ends():
    at = NOON + timedelta(minutes=20)
    assert [limited_until("k", "s", limit=3, per=HOUR, now=at) for _ in range(3)] == [None] * 3
    assert limited_until("k", "s", limit=3, per=HOUR, now=at) == NOON + HOUR
    # Refused requests are not counted: the window holds exactly the limit.
    assert SendCount.objects.get().count == 3


@pytest.mark.django_db
def test_a_new_window_starts_afresh_and_the_old_row_goes():
    for _ in range(2):
        limited_until("k", "s", limit=2, per=HOUR, now=NOON)
    assert limited_until("k", "s", limit=2, per=HOUR, now=NOON + timedelta(minutes=59))
    assert limited_until("k", "s", limit=2, per=HOUR, now=NOON + HOUR) is None
    assert SendCount.objects.count() == 1  # the ended window was deleted


@pytest.mark.django_db
def test_kinds_and_subjects_are_counted_apart():
    assert limited_until("reset", "a@example.org", limit=1, per=HOUR, now=NOON) is None
    assert limited_until("reset", "b@example.org", limit=1, per=HOUR, now=NOON) is None
    assert limited_until("invite", "a@example.org", limit=1, per=HOUR, now=NOON) is None
    assert limited_until("reset", "a@example.org", limit=1, per=HOUR, now=NOON) is not None


@pytest.mark.django_db
def test_no_address_is_kept_in_the_clear():
    limited_until("reset", "alice@example.org", limit=1, per=HOUR, now=NOON)
    key = SendCount.objects.get().key
    assert "alice" not in key and len(key) == 64


# Password reset


def ask_for_reset(client, email, address="203.0.113.7"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_password_links_for_one_address_stop_at_the_hourly_limit(
    client, patient, mailoutbox, settings
):
    settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR = 3
    patient.user.email = "alice@example.org"
    patient.user.save()

    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        for _ in range(3):
            assert ask_for_reset(client, "alice@example.org").status_code == 302
        refused = ask_for_reset(client, "Alice@Example.org")  # the same address
    assert refused.status_code == 429
    assert "We have sent as many password links as we send in an hour" in refused.text
    assert "try again after 13:00" in refused.text  # London is on UTC in winter
    assert len(mailoutbox) == 3

    with time_machine.travel(NOON + HOUR, tick=False):
        assert ask_for_reset(client, "alice@example.org").status_code == 302
    assert len(mailoutbox) == 4


def test_other_spellings_of_one_address_share_its_limit(client, patient, mailoutbox, settings):
    """PostgreSQL finds sam.smith's account when an s is typed as a long s (its UPPER()
    makes that an S): a spelling that reaches the same mailbox shares its limit."""
    settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR = 2
    patient.user.email = "sam.smith@example.org"
    patient.user.save()
    assert ask_for_reset(client, "sam.smith@example.org").status_code == 302
    assert ask_for_reset(client, "SAM.SMITH@example.org").status_code == 302
    for spelling in (
        f"{LONG_S}am.smith@example.org",
        f"sam.{LONG_S}mith@example.org",
        "Sam.Smith@Example.org",
    ):
        assert ask_for_reset(client, spelling).status_code == 429, spelling
    assert len(mailoutbox) == 2


def test_an_address_without_an_account_is_limited_the_same_way(client, patient, settings):
    """The limit applies whether or not the address has an account, so it tells nothing."""
    settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR = 1
    assert ask_for_reset(client, "nobody@example.org").status_code == 302
    assert ask_for_reset(client, "nobody@example.org").status_code == 429


def test_one_client_asking_for_many_addresses_is_limited(client, patient, mailoutbox, settings):
    settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR = 5
    patient.user.email = "alice@example.org"
    patient.user.save()
    for n in range(5):
        assert ask_for_reset(client, f"person{n}@example.org").status_code == 302

    assert ask_for_reset(client, "alice@example.org").status_code == 429
    assert mailoutbox == []
    # Another client is not held back by this one.
    assert ask_for_reset(client, "alice@example.org", address="198.51.100.2").status_code == 302
    assert len(mailoutbox) == 1


def test_the_addresses_of_one_ipv6_network_are_one_client(client, patient, settings):
    settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR = 2
    assert ask_for_reset(client, "a@example.org", address="2001:db8:1:2::1").status_code == 302
    assert ask_for_reset(client, "b@example.org", address="2001:db8:1:2::ff").status_code == 302
    refused = ask_for_reset(client, "c@example.org", address="2001:db8:1:2:abcd::9")
    assert refused.status_code == 429  # the same /64
    assert ask_for_reset(client, "c@example.org", address="2001:db8:1:3::1").status_code == 302


# Carer invitations


def test_a_patient_sends_so_many_carer_invitations_a_day(patient_client, patient, settings):
    settings.CARER_INVITATIONS_PER_DAY = 2
    with time_machine.travel(NOON, tick=False):
        for n in range(2):
            response = patient_client.post(
                CARERS, {"name": f"Sam {n}", "email": f"s{n}@example.org"}
            )
            assert response.status_code == 302
        refused = patient_client.post(CARERS, {"name": "Sam 3", "email": "s3@example.org"})
        assert refused.status_code == 429
        assert (
            "You have sent 2 invitation emails today, as many as we send in a day, so this "
            "one has not been sent. Please try again after 00:00 on Wednesday 25 November."
        ) in refused.text
        assert Carer.objects.count() == 2 and len(mail.outbox) == 2

        # Sending again counts too.
        carer = Carer.objects.first()
        resent = patient_client.post(reverse("patients:carer_resend", args=[carer.pk]), follow=True)
        assert "You have sent 2 invitation emails today" in resent.text
        assert len(mail.outbox) == 2

    with time_machine.travel(NOON + timedelta(days=1), tick=False):
        response = patient_client.post(CARERS, {"name": "Sam 3", "email": "s3@example.org"})
        assert response.status_code == 302
    assert Carer.objects.count() == 3 and len(mail.outbox) == 3


def test_one_patients_invitations_do_not_count_against_another(
    client, patient, other_patient, settings
):
    settings.CARER_INVITATIONS_PER_DAY = 1
    login(client, patient.user)
    assert client.post(CARERS, {"name": "Sam", "email": "s@example.org"}).status_code == 302
    login(client, other_patient.user)
    assert client.post(CARERS, {"name": "Kim", "email": "k@example.org"}).status_code == 302
