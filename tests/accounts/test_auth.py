"""Logging in: lockout after repeated failures (django-axes), password reset by
email, and Django's password rules."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.access import is_clinician

from ..conftest import second_factor
from ..factories import PASSWORD, UserFactory

LOGIN = reverse("login")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # London is on UTC in winter


def attempt(client, username, password, address="127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, address="127.0.0.1"):
    for _ in range(times):
        response = attempt(client, username, "not-my-password", address)
    return response


def logged_in(client) -> bool:
    return client.get(reverse("patients:contacts")).status_code == 200


# Lockout


def test_four_wrong_passwords_then_the_right_one_logs_in(client, patient):
    response = fail(client, "alice", 4)
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text

    response = attempt(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)
    assert not AccessAttempt.objects.exists()  # a success wipes the count


def test_the_fifth_wrong_password_locks_out_with_a_clear_page(client, patient, settings):
    settings.EMERGENCY_NUMBER = "112"
    with time_machine.travel(TUESDAY_10, tick=False):
        response = fail(client, "alice", 5)

    assert response.status_code == 429
    text = response.text
    assert "Too many attempts to log in" in text
    assert "Try again after 10:30" in text
    assert "in about 30 minutes" in text
    assert "call 112 in an emergency" in text
    assert reverse("password_reset") in text


def test_the_right_password_is_refused_during_the_lockout(client, patient):
    with time_machine.travel(TUESDAY_10, tick=False):
        fail(client, "alice", 5)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=29), tick=False):
        response = attempt(client, "alice", PASSWORD)

        assert response.status_code == 429
        assert "Try again after 10:30" in response.text  # trying again does not move it
        assert not logged_in(client)


def test_the_lockout_ends_after_the_cool_off(client, patient):
    with time_machine.travel(TUESDAY_10, tick=False):
        fail(client, "alice", 5)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=15), tick=False):
        attempt(client, "alice", PASSWORD)  # refused: does not extend the lockout
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=31), tick=False):
        response = attempt(client, "alice", PASSWORD)

        assert response.status_code == 302
        assert logged_in(client)


def test_after_the_cool_off_the_count_starts_again(client, patient):
    with time_machine.travel(TUESDAY_10, tick=False):
        fail(client, "alice", 5)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=31), tick=False):
        assert fail(client, "alice", 4).status_code == 200
        assert fail(client, "alice", 1).status_code == 429


def test_the_lockout_is_for_that_username_from_that_address(client, patient, other_patient):
    fail(client, "alice", 5)

    assert attempt(client, "bob", PASSWORD).status_code == 302  # another username
    client.post(reverse("logout"))
    assert attempt(client, "alice", PASSWORD, address="10.1.2.3").status_code == 302


def test_wrong_passwords_for_several_usernames_lock_none_of_them(client, patient, other_patient):
    for username in ("alice", "bob", "carl", "dora"):
        fail(client, username, 2)

    assert attempt(client, "alice", PASSWORD).status_code == 302


def test_a_clinician_is_locked_out_the_same_way(client, nurse):
    fail(client, nurse.username, 5)

    assert attempt(client, nurse.username, PASSWORD).status_code == 429


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(client, patient):
    for n in range(5):
        client.post(
            LOGIN,
            {"username": "alice", "password": "nope"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )

    assert attempt(client, "alice", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "203.0.113.1", "198.51.100.7"),  # no proxy: the header is ignored
        (0, "not an address", "", None),
        (1, "10.0.0.1", "198.51.100.7", "198.51.100.7"),
        (1, "10.0.0.1", "203.0.113.1, 198.51.100.7", "198.51.100.7"),  # forged on the left
        (1, "10.0.0.1", " 2001:db8::7 ", "2001:db8::7"),
        (2, "10.0.0.2", "203.0.113.1, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (1, "198.51.100.9", "", "198.51.100.9"),  # reached the app directly
        (1, "10.0.0.1", "198.51.100.7, garbage", None),
    ],
)
def test_the_client_address_is_read_past_trusted_proxies_only(
    settings, rf, proxies, remote, forwarded, expected
):
    from base.client_address import client_address

    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}

    assert client_address(rf.get("/", **meta)) == expected


def test_behind_a_proxy_the_lockout_is_per_client_not_per_proxy(client, patient, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(5):  # the guesser forges the left of the header; the proxy adds the right
        client.post(
            LOGIN,
            {"username": "alice", "password": "nope"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.66",
            **proxy,
        )

    guesser = {"HTTP_X_FORWARDED_FOR": "198.51.100.66", **proxy}
    alice = {"HTTP_X_FORWARDED_FOR": "198.51.100.7", **proxy}
    assert (
        client.post(LOGIN, {"username": "alice", "password": PASSWORD}, **guesser).status_code
        == 429
    )
    assert (
        client.post(LOGIN, {"username": "alice", "password": PASSWORD}, **alice).status_code == 302
    )


def test_an_ipv6_client_is_counted_by_its_64(client, patient):
    """One household or server holds a whole /64: another address of it is the same
    client, and a neighbouring /64 is another."""
    for n in range(1, 6):
        attempt(client, "alice", "not-my-password", address=f"2001:db8:1:2::{n}")

    assert attempt(client, "alice", PASSWORD, address="2001:db8:1:2::8").status_code == 429
    assert attempt(client, "alice", PASSWORD, address="2001:db8:1:2:ab::9").status_code == 429
    assert not logged_in(client)
    assert attempt(client, "alice", PASSWORD, address="2001:db8:1:3::1").status_code == 302


def test_ipv6_guesses_from_one_64_add_up_to_the_lockout(client, patient):
    for n in range(1, 5):
        assert attempt(client, "alice", "nope", address=f"2001:db8::{n}").status_code == 200

    response = attempt(client, "alice", "nope", address="2001:db8::5")

    assert response.status_code == 429
    assert "Too many attempts to log in" in response.text


def test_an_ipv4_client_is_counted_by_its_own_address(client, patient):
    fail(client, "alice", 5, address="198.51.100.7")

    assert attempt(client, "alice", PASSWORD, address="198.51.100.7").status_code == 429
    assert attempt(client, "alice", PASSWORD, address="198.51.100.8").status_code == 302


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),  # IPv4 on a dual-stack socket
        ("not an address", None),
    ],
)
def test_the_client_network_is_the_ipv4_address_or_the_ipv6_64(rf, remote, expected):
    from base.client_address import client_network

    assert client_network(rf.get("/", REMOTE_ADDR=remote)) == expected


def test_axes_checks_logins_first():
    from django.conf import settings

    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert "django.contrib.auth.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS
    limit, cool_off = settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME
    assert (limit, cool_off) == (5, timedelta(minutes=30))


# Password reset by email


def test_the_login_page_offers_a_password_reset(client):
    text = client.get(LOGIN).text

    assert f'<a href="{reverse("password_reset")}">Forgotten your password?</a>' in text


def reset_link(mail) -> str:
    return re.search(r"https?://\S+/password-reset/\S+/\S+/", mail.body).group(0)


def new_password(client, mail, password):
    """Open the email's link (it moves the token into the session) and set `password`."""
    form = client.get(urlsplit(reset_link(mail)).path, follow=True)
    return client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )


def test_a_patient_resets_their_password_by_email(client, patient, mailoutbox, settings):
    settings.SITE_URL = "https://tracker.example.org"
    patient.user.email = "alice@example.org"
    patient.user.save()

    response = client.post(reverse("password_reset"), {"email": "Alice@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert "Check your email" in client.get(response["Location"]).text

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["alice@example.org"]
    assert mail.subject == "Reset your symptom tracker password"
    link = reset_link(mail)
    assert link.startswith("https://tracker.example.org/password-reset/")

    form = client.get(link.removeprefix("https://tracker.example.org"), follow=True)
    assert "Choose a new password" in form.text
    set_password_url = form.redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert response["Location"] == reverse("password_reset_complete")

    assert attempt(client, "alice", PASSWORD).status_code == 200  # the old one is gone
    assert attempt(client, "alice", "a-new-long-passphrase").status_code == 302
    # The link worked once.
    again = client.get(link.removeprefix("https://tracker.example.org"), follow=True)
    assert "This link no longer works" in again.text


def test_the_reset_link_ignores_the_host_the_request_came_from(
    client, patient, mailoutbox, settings
):
    settings.SITE_URL = "https://tracker.example.org"
    settings.ALLOWED_HOSTS = ["tracker.example.org", "evil.example"]

    client.post(reverse("password_reset"), {"email": patient.user.email}, HTTP_HOST="evil.example")

    assert "evil.example" not in mailoutbox[0].body
    assert reset_link(mailoutbox[0]).startswith("https://tracker.example.org/")


def test_an_unknown_address_gets_the_same_page_and_no_email(client, patient, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


def test_the_request_does_the_same_work_for_an_address_with_or_without_an_account(
    client, patient, mailoutbox, broker_at
):
    """Nobody learns from the page's speed which addresses have accounts: the request
    only queues the address, and the worker looks it up and sends."""
    patient.user.email = "alice@example.org"
    patient.user.save()
    broker_at("memory://")  # kombu's in-process transport: queued, never consumed here

    def work_for(email, address):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)
        assert response["Location"] == reverse("password_reset_done")
        # The statements, without what differs (the limit's key, the time, savepoint names).
        return [
            re.sub(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"", "?", q["sql"])
            for q in queries.captured_queries
        ]

    assert work_for("alice@example.org", "192.0.2.1") == work_for("nobody@example.org", "192.0.2.2")
    assert mailoutbox == []  # not sent in the request: by the worker


def test_with_the_broker_down_the_reset_email_is_sent_in_the_request(
    client, patient, mailoutbox, broker_at
):
    patient.user.email = "alice@example.org"
    patient.user.save()
    broker_at("redis://127.0.0.1:9/0")  # nothing listens there

    response = client.post(reverse("password_reset"), {"email": "alice@example.org"})

    assert response["Location"] == reverse("password_reset_done")
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short"),
        ("password123", "This password is too common"),
        ("4815162342", "This password is entirely numeric"),
        ("alice@example.org!", "The password is too similar"),
    ],
)
def test_a_new_password_follows_djangos_rules(client, patient, mailoutbox, password, message):
    client.post(reverse("password_reset"), {"email": patient.user.email})

    response = new_password(client, mailoutbox[0], password)

    assert response.status_code == 200
    assert message in response.text


def test_a_new_password_ends_a_lockout(client, patient, mailoutbox):
    fail(client, "alice", 5)
    client.post(reverse("password_reset"), {"email": patient.user.email})
    new_password(client, mailoutbox[0], "a-new-long-passphrase")

    assert attempt(client, "alice", "a-new-long-passphrase").status_code == 302


def test_a_nurse_who_resets_her_password_still_needs_her_code(client, nurse, mailoutbox):
    second_factor(nurse)
    client.post(reverse("password_reset"), {"email": nurse.email})
    new_password(client, mailoutbox[0], "a-new-long-passphrase")
    attempt(client, nurse.username, "a-new-long-passphrase")

    assert client.get(reverse("alerts:queue"))["Location"].startswith(reverse("two_factor:verify"))


# Logging in as before


def test_someone_logs_in_with_the_model_backend_behind_axes(client, db):
    user = UserFactory(username="sam")
    assert attempt(client, "sam", PASSWORD).status_code == 302
    assert not is_clinician(user)
    assert get_user_model().objects.get(username="sam").last_login is not None


@pytest.mark.parametrize("length", [151, 256, 5000])
def test_a_username_longer_than_any_account_is_refused_with_a_message(client, db, length):
    response = attempt(client, "a" * length, "wrong")

    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.text
    assert not AccessAttempt.objects.exists()


def test_the_login_page_tells_carers_their_username(client):
    page = client.get(LOGIN).text

    assert "Carers: your username is your email address." in page
