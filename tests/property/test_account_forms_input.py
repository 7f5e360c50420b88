"""Bad input to the forms around accounts: inviting a carer, a carer's new account, a
patient's first password, the second factor's code, the password reset request, and
the text-size and language switches (hypothesis).

Whatever is posted: never a server error; a post that is refused changes nothing in
the app's tables and, where there is a form, names the problem on the page.
"""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from patients.invitations import carer_invitation_url, patient_invitation_url
from patients.models import Carer

from ..factories import PatientFactory, UserFactory
from .support import (
    assert_problems_shown,
    check_post,
    fuzz,
    new_client,
    posted_value,
    rolled_back,
)

pytestmark = pytest.mark.django_db

CARER_INVITE = {"name", "email"}
CARER_ACCOUNT = {"name", "password1", "password2"}
NEW_PASSWORD = {"new_password1", "new_password2"}


def form_data(fields):
    """Some of the form's fields, each with an arbitrary or adversarial value."""
    return st.dictionaries(st.sampled_from(sorted(fields)), posted_value, max_size=len(fields))


def refused_with_a_message(response, key="form"):
    """A form shown again (200) with errors names each of them on the page."""
    form = response.context.get(key) if response.context else None
    if response.status_code == 200 and form is not None and form.errors:
        assert_problems_shown(response, key)


def stays_on_the_site(url: str) -> bool:
    """A redirect to a path of this site (relative or absolute), never another host."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.replace("\\", "/").startswith("//")


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@fuzz(25)
@given(data=form_data(CARER_INVITE))
def test_inviting_a_carer(patient_browser, patient, data):
    with rolled_back():
        response, changed = check_post(patient_browser, reverse("patients:carers"), data)
        refused_with_a_message(response)
        if changed:  # accepted: one invitation, and its audit row
            assert set(changed) <= {"patients.Carer", "patients.AuditEvent"}


@fuzz(25)
@given(data=form_data(CARER_ACCOUNT))
def test_a_carers_new_account(patient, data):
    with rolled_back():
        carer = Carer.objects.create(patient=patient, name="Sam", email="sam@example.org")
        link = path_of(carer_invitation_url(carer))
        response, changed = check_post(new_client(), link, data)
        refused_with_a_message(response)
        if changed:
            assert {"auth.User", "patients.Carer"} <= set(changed)


@fuzz(25)
@given(data=form_data(NEW_PASSWORD))
def test_a_patients_first_password(team, data):
    with rolled_back():
        user = UserFactory(username="fay", password=None)
        user.set_unusable_password()
        user.save()
        fay = PatientFactory(care_team=team, user=user)
        client = new_client()
        form_page = client.get(path_of(patient_invitation_url(fay)), follow=True)
        response, changed = check_post(client, form_page.redirect_chain[-1][0], data)
        refused_with_a_message(response)
        if changed:
            assert set(changed) == {"auth.User"}


@fuzz(25)
@given(code=posted_value)
def test_the_second_factors_code(nurse, code):
    """Only the password given: any code but the right one leaves the session unverified."""
    with rolled_back():
        client = Client(raise_request_exception=False)
        client.force_login(nurse, "django.contrib.auth.backends.ModelBackend")
        response, _changed = check_post(client, reverse("two_factor:verify"), {"code": code})
        refused_with_a_message(response)
        assert client.get(reverse("alerts:queue")).status_code == 302  # still not in


@fuzz(20)
@given(data=form_data({"email"}))
def test_the_password_reset_request(patient, data):
    with rolled_back():
        response, changed = check_post(new_client(), reverse("password_reset"), data)
        refused_with_a_message(response)
        assert not changed  # asking for a link changes nothing


@fuzz(20)
@given(data=form_data({"size", "next"}))
def test_the_text_size_switch(data):
    response, changed = check_post(new_client(), reverse("set_text_size"), data)
    assert response.status_code == 302 and not changed
    assert stays_on_the_site(response.url)


@fuzz(20)
@given(data=form_data({"language", "next"}))
def test_the_language_switch(data):
    response, changed = check_post(new_client(), reverse("set_language"), data)
    assert response.status_code in (200, 204, 302) and not changed
    if response.status_code == 302:
        assert stays_on_the_site(response.url)
