"""The flag page reads what it shows: an episode one patient fed hundreds of check-ins
costs the page what an episode of two does, a page of its check-ins at a time."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts.services import flagging
from alerts.views.flag import EPISODE_PAGE_SIZE
from patients.models import Flag

from ..factories import make_check_in

# Stools 9 against a usual of 1 (the patient factory's baseline): red, on every check-in.
RED = {"stools_per_day": 9, "fatigue": 1, "temperature_c": "37.0"}


@pytest.fixture
def now():
    return timezone.now()


def feed(patient, now, count: int) -> list[Flag]:
    """`count` red check-ins a minute apart, through the worker: one episode."""
    flags = []
    for n in range(count):
        at = now - timedelta(minutes=count - n)
        check_in = make_check_in(patient, at=at, **RED)
        flagging.flag_check_in(check_in.pk, now=at)
        flags.append(Flag.objects.get(check_in=check_in))
    return flags


def render(client, flag, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("alerts:flag", args=[flag.pk]), params)
    assert response.status_code == 200
    return response, len(queries)


def test_an_episode_of_many_check_ins_costs_the_page_what_one_of_two_does(
    nurse_client, patient, now
):
    small = feed(patient, now - timedelta(days=2), 2)
    render(nurse_client, small[0])  # the session's first request may do more
    _response, few = render(nurse_client, small[0])
    small[0].episode.status = "resolved"
    small[0].episode.save(update_fields=["status"])

    large = feed(patient, now, EPISODE_PAGE_SIZE * 3 + 5)
    response, many = render(nurse_client, large[0])

    assert many == few
    episode = large[0].episode
    episode.refresh_from_db()
    assert (episode.flag_count, episode.latest_flag_id) == (len(large), large[-1].pk)
    shown = list(response.context["episode_flags"])
    assert shown == large[::-1][:EPISODE_PAGE_SIZE]  # the newest first
    assert "1\u201320 of 65" in response.text
    joined = [e for e in response.context["trail"] if e.kind == "joined"]
    assert len(joined) == EPISODE_PAGE_SIZE + 1  # the newest, and one event for the rest
    assert "44 earlier check-ins joined the open episode" in joined[0].text
    # The actions post back the episode's newest flag, whichever page is shown.
    assert f'name="seen" value="{large[-1].pk}"' in response.text


def test_older_check_ins_of_the_episode_come_a_page_at_a_time(nurse_client, patient, now):
    flags = feed(patient, now, EPISODE_PAGE_SIZE + 3)

    response, _ = render(nurse_client, flags[-1], check_ins=2)

    assert list(response.context["episode_flags"]) == flags[::-1][EPISODE_PAGE_SIZE:]
    assert "?check_ins=1#episode-check-ins" in response.text
    assert "21\u201323 of 23" in response.text
