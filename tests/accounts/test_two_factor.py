"""The second factor: clinicians and admins give a code from an authenticator app
after their password; until then they reach no patient data. Patients and carers
are not asked."""

import re
from base64 import b32decode
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.activation import activation_issue
from alerts.services import flagging
from patients.models import Flag, Patient

from ..conftest import current_code, second_factor
from ..factories import PASSWORD, UserFactory, add_member, make_check_in

VERIFY = reverse("two_factor:verify")
SETUP = reverse("two_factor:setup")


@pytest.fixture
def newcomer(team):
    """A nurse of the team who has not set up an authenticator app yet."""
    user = UserFactory(username="nell", first_name="Nell", last_name="Ward")
    add_member(team, user)
    return user


@pytest.fixture
def flag(patient):
    check_in = make_check_in(patient, stools_per_day=9)
    flagging.flag_check_in(check_in.pk)
    return Flag.objects.get(check_in=check_in, symptom="stools_per_day")


def password_login(client, user, next_url=""):
    """The login form, as a browser posts it: the password only."""
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def activate(client, user, next_url="") -> str:
    """The setup page's first step: the activation code an admin gave `user`."""
    code = activation_issue(user=user).code
    data = {"activation": code, **({"next": next_url} if next_url else {})}
    response = client.post(SETUP, data)
    assert response.status_code == 302, response.text
    assert response["Location"].startswith(SETUP)
    return code


def code_now(key: bytes, offset: int = 0) -> str:
    """What an authenticator app holding `key` shows now (or `offset` steps on)."""
    return f"{totp(key, step=30, t0=0, digits=6, drift=offset):06d}"


def secret_on_page(text: str) -> bytes:
    """The key as the setup page shows it for typing by hand, in groups of four."""
    shown = re.search(r'<code class="otp-secret" id="otp-secret">([A-Z2-7 ]+)</code>', text)
    secret = shown.group(1).replace(" ", "")
    return b32decode(secret + "=" * (-len(secret) % 8))


def patient_data_urls(patient, flag, team):
    return [
        reverse("alerts:queue"),
        reverse("alerts:patient", args=[patient.pk]),
        reverse("alerts:flag", args=[flag.pk]),
        reverse("alerts:missed"),
        reverse("alerts:contacts", args=[team.pk]),
        reverse("alerts:edit_contacts", args=[team.pk]),
        reverse("alerts:figures", args=[team.pk]),
        reverse("patients:home"),
        "/admin/",
        reverse("admin:patients_patient_changelist"),
        reverse("admin:patients_patient_change", args=[patient.pk]),
    ]


# Reaching no patient data before the code


def test_a_nurse_who_gave_only_her_password_reaches_no_patient_data(
    client, nurse, patient, flag, team
):
    response = password_login(client, nurse)
    assert response.status_code == 302

    for url in patient_data_urls(patient, flag, team):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY + "?next="), url
        assert unquote(response["Location"].split("next=", 1)[1]) == url
        assert "Morgan" not in response.text


def test_her_actions_do_nothing_before_the_code(client, nurse, patient, flag):
    password_login(client, nurse)

    response = client.post(reverse("alerts:acknowledge", args=[flag.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    flag.refresh_from_db()
    assert flag.status == "open"


def test_the_queue_refresh_gets_a_401_that_the_page_reloads_on(client, nurse, patient, flag):
    password_login(client, nurse)

    response = client.get(reverse("alerts:queue"), {"partial": "1"})

    assert response.status_code == 401
    assert "X-Queue-Results" not in response
    assert "Morgan" not in response.text


def test_an_admin_who_gave_only_his_password_is_kept_out_of_the_admin(client, admin_user, patient):
    password_login(client, admin_user)

    for url in ("/admin/", reverse("admin:patients_patient_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY)


def test_the_admin_itself_refuses_a_session_without_the_code(admin_user, patient, rf):
    """Belt and braces: the admin site checks is_verified() too (OTPAdminSite)."""
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = admin_user
    admin_user.is_verified = lambda: False
    assert admin.site.has_permission(request) is False
    admin_user.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


def test_the_admins_own_login_page_is_ours(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/admin/"


def test_a_member_of_staff_who_is_not_in_a_team_is_asked_too(client, patient):
    clerk = UserFactory(username="clerk", is_staff=True)
    password_login(client, clerk)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith(SETUP)


def test_logging_out_needs_no_code(client, nurse):
    password_login(client, nurse)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("alerts:queue"))["Location"].startswith(reverse("login"))


# Patients and carers are not asked


def test_a_patient_is_not_asked_for_a_code(client, patient):
    response = password_login(client, patient.user)
    assert response["Location"] == reverse("patients:home")

    assert client.get(reverse("patients:home")).status_code == 200
    assert client.get(reverse("patients:check_in")).status_code == 200
    assert client.get(VERIFY)["Location"] == reverse("patients:home")
    assert client.get(SETUP)["Location"] == reverse("patients:home")
    assert not TOTPDevice.objects.exists()


def test_a_carer_is_not_asked_for_a_code(client, carer):
    password_login(client, carer)

    assert client.get(reverse("patients:contacts")).status_code == 200


# Verifying with the app set up before


def test_the_right_code_opens_the_page_asked_for(client, nurse, patient, flag):
    device = second_factor(nurse)
    timeline = reverse("alerts:patient", args=[patient.pk])
    response = password_login(client, nurse, next_url=timeline)
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == VERIFY + "?next=" + timeline.replace("/", "%2F")
    assert "Enter your code" in response.text

    response = client.post(VERIFY, {"code": code_now(device.bin_key), "next": timeline})

    assert response.status_code == 302
    assert response["Location"] == timeline
    page = client.get(timeline)
    assert page.status_code == 200
    assert "Alice Morgan" in page.text
    assert client.get(reverse("alerts:queue")).status_code == 200


def test_the_code_is_asked_again_at_the_next_login(client, nurse):
    device = second_factor(nurse)
    password_login(client, nurse)
    client.post(VERIFY, {"code": code_now(device.bin_key)})
    assert client.get(reverse("alerts:queue")).status_code == 200

    client.post(reverse("logout"))
    password_login(client, nurse)

    assert client.get(reverse("alerts:queue"))["Location"].startswith(VERIFY)


@pytest.mark.parametrize(
    "code",
    ["000000", "12345", "abcdef", "", "1234567"],
    ids=["wrong", "short", "letters", "empty", "long"],
)
def test_a_wrong_code_is_refused(client, nurse, code):
    device = second_factor(nurse)
    if code == "000000" and code_now(device.bin_key) == code:
        code = "000001"
    password_login(client, nurse)

    response = client.post(VERIFY, {"code": code})

    assert response.status_code == 200
    assert 'class="invalid-feedback"' in response.text or "is-invalid" in response.text
    assert client.get(reverse("alerts:queue"))["Location"].startswith(VERIFY)


def test_a_code_from_an_hour_ago_is_refused(client, nurse):
    device = second_factor(nurse)
    password_login(client, nurse)

    old = code_now(device.bin_key, -120)  # 120 steps of 30 s
    if old in {code_now(device.bin_key, step) for step in (-1, 0, 1)}:
        pytest.skip("a one-in-a-million coincidence of codes")

    response = client.post(VERIFY, {"code": old})

    assert "That code is not right" in response.text


def test_a_code_works_once(client, nurse):
    device = second_factor(nurse)
    code = current_code(device)
    password_login(client, nurse)
    assert client.post(VERIFY, {"code": code}).status_code == 302

    other = type(client)()
    password_login(other, nurse)
    response = other.post(VERIFY, {"code": code})

    assert "That code is not right" in response.text
    assert other.get(reverse("alerts:queue")).status_code == 302


def test_wrong_codes_slow_the_next_tries_down(client, nurse):
    device = second_factor(nurse)
    password_login(client, nurse)
    wrong = f"{(int(code_now(device.bin_key)) + 500_000) % 1_000_000:06d}"
    client.post(VERIFY, {"code": wrong})
    client.post(VERIFY, {"code": wrong})

    response = client.post(VERIFY, {"code": code_now(device.bin_key)})

    assert "Too many wrong codes" in response.text
    assert client.get(reverse("alerts:queue")).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        response = client.post(VERIFY, {"code": code_now(device.bin_key)})
    assert response.status_code == 302


def test_somewhere_else_after_the_code_is_refused(client, nurse):
    device = second_factor(nurse)
    password_login(client, nurse)

    response = client.post(
        VERIFY, {"code": code_now(device.bin_key), "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("patients:home")


# Setting up an app the first time needs an activation from an admin


def test_a_password_alone_cannot_enrol_a_first_app(client, newcomer, patient):
    """A clinician with no app yet, or whoever has her password: the setup page asks
    for an activation from an admin and shows no key, and no guess of a code sets an
    app up."""
    response = password_login(client, newcomer, next_url=reverse("alerts:queue"))
    response = client.get(response["Location"], follow=True)

    assert response.redirect_chain[-1][0].startswith(SETUP + "?next=")
    page = response.text
    assert "otp-secret" not in page
    assert "<svg" not in page
    assert "activation code" in page
    assert not TOTPDevice.objects.filter(user=newcomer).exists()
    for code in ("000000", "123456"):
        client.post(SETUP, {"code": code})
    assert not TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()
    assert client.get(reverse("alerts:queue")).status_code == 302
    assert client.get(reverse("alerts:patient", args=[patient.pk])).status_code == 302


# Setting up an app the first time


def test_a_nurse_with_no_app_sets_one_up_with_the_qr_code_and_a_first_code(
    client, newcomer, patient
):
    response = password_login(client, newcomer, next_url=reverse("alerts:queue"))
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP + "?next=")
    assert "Activation code" in response.text
    activate(client, newcomer, next_url=reverse("alerts:queue"))
    page = client.get(SETUP, {"next": reverse("alerts:queue")}).text
    assert "Set up two-factor authentication" in page
    # The QR code is inline SVG markup drawn on the server: no image, no CDN.
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'class="qr-code"' in svg
    assert "<path" in svg
    assert "style=" not in svg
    assert "<img" not in page
    key = secret_on_page(page)
    device = TOTPDevice.objects.get(user=newcomer)
    assert key == device.bin_key
    assert device.confirmed is False
    assert client.get(reverse("alerts:queue")).status_code == 302  # not yet

    response = client.post(
        SETUP, {"code": code_now(key), "next": reverse("alerts:queue")}, follow=True
    )

    assert response.redirect_chain == [(reverse("alerts:queue"), 302)]
    assert "Two-factor authentication is set up" in response.text
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(reverse("alerts:patient", args=[patient.pk])).status_code == 200


def test_reloading_the_setup_page_keeps_the_same_key(client, newcomer):
    password_login(client, newcomer)
    activate(client, newcomer)

    first = secret_on_page(client.get(SETUP).text)
    again = secret_on_page(client.get(SETUP).text)

    assert first == again
    assert TOTPDevice.objects.filter(user=newcomer).count() == 1


def test_setup_refuses_a_wrong_code(client, newcomer):
    password_login(client, newcomer)
    activate(client, newcomer)
    key = secret_on_page(client.get(SETUP).text)
    wrong = f"{(int(code_now(key)) + 500_000) % 1_000_000:06d}"

    response = client.post(SETUP, {"code": wrong})

    assert "That code is not right" in response.text
    assert not TOTPDevice.objects.get(user=newcomer).confirmed
    assert client.get(reverse("alerts:queue")).status_code == 302


def test_a_password_alone_cannot_add_a_second_app(client, nurse):
    """Someone who has only the password must not enrol their own phone."""
    second_factor(nurse)
    password_login(client, nurse)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=nurse).count() == 1
    assert client.post(SETUP, {"code": "123456"})["Location"].startswith(VERIFY)


def test_the_verify_page_sends_someone_with_no_app_to_setup(client, newcomer):
    password_login(client, newcomer)

    response = client.get(VERIFY + "?next=/triage/")

    assert response["Location"] == SETUP + "?next=%2Ftriage%2F"


def test_the_otpauth_uri_names_the_site_and_the_user(client, newcomer):
    password_login(client, newcomer)
    activate(client, newcomer)

    uri = TOTPDevice.objects.get(user=newcomer).config_url

    assert uri.startswith("otpauth://totp/Symptom%20tracker%3Anell?")
    assert "issuer=Symptom%20tracker" in uri


def test_the_session_key_changes_with_the_code(client, nurse):
    device = second_factor(nurse)
    password_login(client, nurse)
    before = client.session.session_key

    client.post(VERIFY, {"code": code_now(device.bin_key)})

    assert client.session.session_key != before
    assert client.get(reverse("alerts:queue")).status_code == 200


# A lost phone


def test_an_admin_removes_a_lost_app_without_seeing_its_secret(admin_client_, nurse, client):
    device = second_factor(nurse)
    change = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])

    page = admin_client_.get(change)
    assert page.status_code == 200
    assert device.key not in page.text
    assert "qrcode" not in page.text
    admin_client_.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}
    )
    assert not TOTPDevice.objects.filter(user=nurse).exists()

    password_login(client, nurse)  # and she sets up her new phone
    assert client.get(reverse("alerts:queue"), follow=True).redirect_chain[-1][0].startswith(SETUP)


# The test client's log-in (tests/conftest.py), as the rest of the suite uses it


def test_the_suites_log_in_gives_the_code(nurse_client, patient):
    assert nurse_client.get(reverse("alerts:patient", args=[patient.pk])).status_code == 200


def test_force_login_of_someone_without_an_app_is_not_verified(client, newcomer):
    client.force_login(newcomer)

    assert client.get(reverse("alerts:queue"))["Location"].startswith(VERIFY)


def test_the_suites_admin_reaches_the_admin(admin_client_, patient):
    assert admin_client_.get(reverse("admin:patients_patient_changelist")).status_code == 200
    assert Patient.objects.exists()
