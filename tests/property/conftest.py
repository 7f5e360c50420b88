"""Browsers for the property tests: clients that answer a server error with a 500 page,
as a browser sees it, instead of raising (support.new_client)."""

import pytest
from django.conf import settings
from django.utils import timezone

from alerts.services import flagging
from patients.models import Flag

from ..factories import UserFactory, add_member, make_check_in
from .support import new_client


def second_factor_given(client, user):
    """A clinician's session that has given its code (django-otp), when the app asks
    for one: the property tests are about forms, not about logging in."""
    if "django_otp" not in settings.INSTALLED_APPS:
        return client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, confirmed=True, name="test")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def patient_browser(patient):
    return new_client(patient.user)


@pytest.fixture
def nurse_browser(nurse):
    return second_factor_given(new_client(nurse), nurse)


@pytest.fixture
def coordinator(team):
    user = UserFactory(username="cora", first_name="Cora", last_name="Baines")
    add_member(team, user, role="coordinator")
    return user


@pytest.fixture
def coordinator_browser(coordinator):
    return second_factor_given(new_client(coordinator), coordinator)


@pytest.fixture
def red_flag(patient) -> Flag:
    """A red check-in of the patient, run through the worker: its one flag."""
    now = timezone.now()
    check_in = make_check_in(patient, at=now, stools_per_day=9)
    flagging.flag_check_in(check_in.pk, now=now)
    return Flag.objects.get(check_in=check_in)
