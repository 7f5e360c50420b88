"""Setting up a first authenticator app needs an activation code that an admin
issued (accounts/activation.py): a password alone reaches no patient data, not even
by enrolling the guesser's own phone."""

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.activation import activation_issue, code_hash
from accounts.models import TwoFactorActivation
from patients.models import AuditEvent

from ..conftest import second_factor
from ..factories import UserFactory, add_member
from .test_two_factor import SETUP, code_now, password_login, secret_on_page

QUEUE = reverse("alerts:queue")
CHANGELIST = reverse("admin:auth_user_changelist")


@pytest.fixture
def nell(team):
    """A nurse of the team who has not set up an authenticator app yet."""
    user = UserFactory(username="nell", first_name="Nell", last_name="Ward")
    add_member(team, user)
    return user


def issue_in_the_admin(admin_client, *users):
    """The admin ticks the users and runs the action; the page shows the codes."""
    return admin_client.post(
        CHANGELIST,
        {
            "action": "issue_two_factor_activation",
            "_selected_action": [user.pk for user in users],
        },
    )


def codes_on_page(text: str) -> list[str]:
    return re.findall(r'<code class="activation-code">([A-Z0-9-]+)</code>', text)


def enter(client, code):
    return client.post(SETUP, {"activation": code})


def set_up_app(client):
    """With the activation given: the key on the page, then the app's first code."""
    key = secret_on_page(client.get(SETUP).text)
    return client.post(SETUP, {"code": code_now(key)})


# Issuing, in the admin


def test_an_admin_issues_a_code_that_is_shown_once_and_kept_as_a_hash(admin_client_, nell):
    response = issue_in_the_admin(admin_client_, nell)

    assert response.status_code == 200
    assert "shown once" in response.text
    [code] = codes_on_page(response.text)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}", code)
    activation = TwoFactorActivation.objects.get(user=nell)
    assert activation.code_hash == code_hash(code) != code
    assert code.replace("-", "") not in str(TwoFactorActivation.objects.values().get())
    user_page = admin_client_.get(reverse("admin:auth_user_change", args=[nell.pk]))
    assert code not in user_page.text


def test_a_code_works_for_72_hours_by_default(admin_client_, nell, settings):
    assert settings.TWO_FACTOR_ACTIVATION_HOURS == 72
    settings.TWO_FACTOR_ACTIVATION_HOURS = 24
    issue_in_the_admin(admin_client_, nell)

    activation = TwoFactorActivation.objects.get(user=nell)
    assert activation.expires_at - activation.issued_at == timedelta(hours=24)


def test_issuing_is_in_the_audit_trail(admin_client_, admin_user, nell):
    issue_in_the_admin(admin_client_, nell)

    event = AuditEvent.objects.get(object_type="accounts.twofactoractivation")
    assert (event.action, event.actor_role, event.actor_id) == ("created", "admin", admin_user.pk)
    assert "nell" in event.detail


def test_no_code_for_a_patient_or_someone_who_has_an_app(admin_client_, patient, nurse, nell):
    response = issue_in_the_admin(admin_client_, patient.user, nurse, nell)

    assert len(codes_on_page(response.text)) == 1
    assert list(TwoFactorActivation.objects.values_list("user", flat=True)) == [nell.pk]
    assert "alice: is not asked for a second factor" in response.text
    assert "nadia: has an authenticator app already" in response.text


def test_a_newer_code_replaces_an_earlier_one(client, nell):
    earlier = activation_issue(user=nell).code
    later = activation_issue(user=nell).code
    password_login(client, nell)

    assert "has expired" in enter(client, earlier).text
    assert enter(client, later).status_code == 302


def test_the_first_admin_gets_a_code_on_the_command_line(client, db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    out = StringIO()

    call_command("issue_two_factor_activation", "root", stdout=out)

    code = re.search(r"Activation code for root: (\S+)", out.getvalue()).group(1)
    assert TwoFactorActivation.objects.get(user=admin).code_hash == code_hash(code)
    assert AuditEvent.objects.get(object_type="accounts.twofactoractivation").actor_role == (
        "system"
    )
    password_login(client, admin)
    assert enter(client, code).status_code == 302


def test_the_command_issues_none_for_a_patient(patient):
    with pytest.raises(CommandError, match="not asked for a second factor"):
        call_command("issue_two_factor_activation", "alice", stdout=StringIO())


# Using it, on the setup page


def test_with_the_code_she_sets_up_her_app_and_reaches_the_queue(
    client, admin_client_, nell, patient
):
    [code] = codes_on_page(issue_in_the_admin(admin_client_, nell).text)
    password_login(client, nell)

    response = enter(client, code.lower().replace("-", " "))  # as typed, any case

    assert response.status_code == 302
    assert "otp-secret" in client.get(SETUP).text
    assert set_up_app(client).status_code == 302
    assert client.get(QUEUE).status_code == 200
    assert client.get(reverse("alerts:patient", args=[patient.pk])).status_code == 200
    activation = TwoFactorActivation.objects.get(user=nell)
    assert activation.used_at is not None
    used = AuditEvent.objects.filter(object_type="accounts.twofactoractivation").first()
    assert (used.action, used.actor_role, used.actor_id) == ("changed", "clinician", nell.pk)
    assert used.object_id == str(activation.pk)


def test_a_wrong_code_is_refused_and_shows_no_key(client, nell):
    activation_issue(user=nell)
    password_login(client, nell)

    response = enter(client, "ABCD-EFGH-JKMN-PQRS")

    assert response.status_code == 200
    assert "That activation code is not right" in response.text
    assert "otp-secret" not in response.text
    assert "otp-secret" not in client.get(SETUP).text
    assert client.get(QUEUE).status_code == 302


def test_an_expired_code_is_refused(client, nell):
    code = activation_issue(user=nell).code

    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)):
        password_login(client, nell)
        response = enter(client, code)

    assert "That activation code has expired" in response.text
    assert not TOTPDevice.objects.filter(user=nell).exists()


def test_a_used_code_is_refused(client, admin_client_, nell):
    code = activation_issue(user=nell).code
    password_login(client, nell)
    enter(client, code)
    set_up_app(client)
    TOTPDevice.objects.filter(user=nell).delete()  # an admin removes her app

    other = type(client)()
    password_login(other, nell)
    response = enter(other, code)

    assert "That activation code has been used already" in response.text
    assert "otp-secret" not in other.get(SETUP).text


def test_a_code_is_for_the_person_it_was_issued_to(client, nell, team):
    code = activation_issue(user=nell).code
    mallory = UserFactory(username="mallory")
    add_member(team, mallory)
    password_login(client, mallory)

    assert "That activation code is not right" in enter(client, code).text
    assert not TOTPDevice.objects.filter(user=mallory).exists()


def test_codes_tried_are_limited_an_hour(client, nell, settings):
    settings.TWO_FACTOR_ACTIVATION_TRIES_PER_HOUR = 3
    code = activation_issue(user=nell).code
    password_login(client, nell)
    for _ in range(3):
        enter(client, "ABCD-EFGH-JKMN-PQRS")

    response = enter(client, code)  # even the right one, until the hour is out

    assert response.status_code == 429
    assert "Too many activation codes tried" in response.text
    assert "otp-secret" not in client.get(SETUP).text
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert enter(client, code).status_code == 302


def test_a_key_shown_before_the_code_was_given_is_replaced(client, nell):
    """A key someone saw with the password alone (before activation codes existed) is
    never the one that gets confirmed."""
    old = TOTPDevice.objects.create(user=nell, confirmed=False, name="Authenticator app")
    password_login(client, nell)

    enter(client, activation_issue(user=nell).code)

    assert secret_on_page(client.get(SETUP).text) != old.bin_key
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_a_code_replaced_before_the_app_is_confirmed_no_longer_counts(client, nell):
    password_login(client, nell)
    enter(client, activation_issue(user=nell).code)
    key = secret_on_page(client.get(SETUP).text)
    activation_issue(user=nell)  # an admin issued another meanwhile

    response = client.post(SETUP, {"code": code_now(key)})

    assert response.status_code == 200
    assert "Activation code" in response.text
    assert "otp-secret" not in response.text
    assert not TOTPDevice.objects.filter(user=nell, confirmed=True).exists()
    assert client.get(QUEUE).status_code == 302


def test_someone_with_an_app_is_never_asked_for_a_code(client, nurse):
    device = second_factor(nurse)
    password_login(client, nurse)

    assert client.get(SETUP)["Location"].startswith(reverse("two_factor:verify"))
    assert not TwoFactorActivation.objects.exists()
    assert device.confirmed
