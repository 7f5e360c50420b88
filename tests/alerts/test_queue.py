"""The triage queue: filters, counts per urgency, order, the refreshable region, query counts."""

from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinical.systems import BODY_SYSTEMS
from patients.models import Episode, Flag

from ..conftest import login
from ..factories import (
    CareTeamFactory,
    PatientFactory,
    TreatmentFactory,
    UserFactory,
    add_member,
    make_check_in,
    make_flag,
)

QUEUE = reverse("alerts:queue")


def flag(patient, symptom="stools_per_day", urgency="red", *, status="open", hours_ago=1):
    """A flag of a check-in made `hours_ago`, as the worker would have written it."""
    at = timezone.now() - timedelta(hours=hours_ago)
    return make_flag(
        make_check_in(patient, at=at),
        symptom,
        urgency,
        rule="R9",
        explanation=f"{symptom} at {urgency}",
        status=status,
        created_at=at,
        resolved_at=at + timedelta(minutes=30) if status == "resolved" else None,
    )


def shown(response) -> list[Flag]:
    return [f for f, _item, _treatment in response.context["rows"]]


@pytest.fixture
def carol(team):
    """A second patient of the team, on treatment."""
    carol = PatientFactory(
        care_team=team, user=UserFactory(username="carol", first_name="Carol", last_name="Reyes")
    )
    TreatmentFactory(patient=carol)
    return carol


@pytest.fixture
def second_team(nurse):
    """A second team of Nadia's, with a patient of its own."""
    team = CareTeamFactory(name="Lung unit")
    add_member(team, nurse)
    dev = PatientFactory(
        care_team=team, user=UserFactory(username="dev", first_name="Dev", last_name="Patel")
    )
    TreatmentFactory(patient=dev)
    return team


# Filters


def test_it_shows_open_and_acknowledged_flags_by_default(nurse_client, patient):
    waiting = flag(patient, hours_ago=3)
    seen = flag(patient, "headache", status="acknowledged", hours_ago=2)
    flag(patient, "cough", status="resolved", hours_ago=1)

    response = nurse_client.get(QUEUE)

    assert response.context["status"] == "active"
    assert shown(response) == [waiting, seen]


@pytest.mark.parametrize("status", ["open", "acknowledged", "resolved"])
def test_it_filters_by_status(nurse_client, patient, status):
    flags = {s: flag(patient, s, status=s) for s in ("open", "acknowledged", "resolved")}

    response = nurse_client.get(QUEUE, {"status": status})

    assert response.context["status"] == status
    assert shown(response) == [flags[status]]


def test_it_filters_by_urgency(nurse_client, patient):
    flag(patient, "headache", "emergency")
    red = flag(patient, "cough", "red")
    flag(patient, "rash", "amber")

    response = nurse_client.get(QUEUE, {"urgency": "red"})

    assert shown(response) == [red]


def test_it_filters_by_body_system_with_every_symptom_that_may_come_from_it(nurse_client, patient):
    palpitations = flag(patient, "palpitations", hours_ago=4)
    breathless = flag(patient, "shortness_of_breath", hours_ago=3)  # lung, heart
    chest_pain = flag(patient, "chest_pain", "emergency", hours_ago=2)  # heart, lung
    flag(patient, "cough", hours_ago=1)  # lung only
    flag(patient, "rash", "amber")

    heart = nurse_client.get(QUEUE, {"system": "heart"})
    lung = nurse_client.get(QUEUE, {"system": "lung"})

    assert shown(heart) == [chest_pain, palpitations, breathless]
    assert [f.symptom for f in shown(lung)] == ["chest_pain", "shortness_of_breath", "cough"]


def test_the_body_systems_group_the_catalogue_sensibly():
    assert {"bowel", "lung", "skin", "heart", "liver", "endocrine"} <= set(BODY_SYSTEMS)
    assert "thyroid" not in BODY_SYSTEMS and "nerve" not in BODY_SYSTEMS
    assert "palpitations" in BODY_SYSTEMS["endocrine"]  # thyroid
    assert "headache" in BODY_SYSTEMS["endocrine"]  # pituitary
    assert BODY_SYSTEMS["bowel"] == ("stools_per_day", "abdominal_pain", "stool_blood_or_mucus")


def test_it_filters_by_team_among_the_nurses_own_teams(nurse_client, patient, second_team):
    ours = flag(patient, hours_ago=2)
    lungs = flag(second_team.patients.get(), "cough", hours_ago=1)

    everything = nurse_client.get(QUEUE)
    one_team = nurse_client.get(QUEUE, {"team": second_team.pk})

    assert shown(everything) == [ours, lungs]
    assert shown(one_team) == [lungs]
    assert '<option value="' + str(second_team.pk) + '" selected>Lung unit</option>' in (
        one_team.text
    )


def test_a_team_that_is_not_the_nurses_is_not_a_choice_and_shows_nothing_of_it(
    nurse_client, patient, second_team, other_team, other_patient
):
    ours = flag(patient)
    flag(other_patient)

    response = nurse_client.get(QUEUE, {"team": other_team.pk})

    assert shown(response) == [ours]
    assert response.context["form"].values["team"] is None
    assert "Other hospital" not in response.text and "Bob Okafor" not in response.text


def test_the_team_filter_is_left_out_for_a_nurse_of_one_team(nurse_client, patient):
    response = nurse_client.get(QUEUE)

    assert 'name="team"' not in response.text
    assert 'name="urgency"' in response.text


def test_a_filter_value_that_is_not_a_choice_is_ignored(nurse_client, patient):
    waiting = flag(patient)

    response = nurse_client.get(
        QUEUE, {"urgency": "purple", "status": "deleted", "system": "spleen", "team": "x"}
    )

    assert response.status_code == 200
    assert response.context["status"] == "active"
    assert shown(response) == [waiting]


# Order and counts


def test_it_shows_the_most_urgent_first_and_the_oldest_first_within_an_urgency(
    nurse_client, patient, carol
):
    new_amber = flag(patient, "rash", "amber", hours_ago=1)
    old_amber = flag(carol, "itching", "amber", hours_ago=9)
    new_red = flag(carol, "cough", "red", hours_ago=2)
    old_red = flag(patient, "headache", "red", status="acknowledged", hours_ago=5)
    emergency = flag(patient, "chest_pain", "emergency", hours_ago=1)

    response = nurse_client.get(QUEUE)

    assert shown(response) == [emergency, old_red, new_red, old_amber, new_amber]


def test_the_counts_follow_every_filter_but_urgency(nurse_client, patient):
    flag(patient, "chest_pain", "emergency")
    flag(patient, "palpitations", "red")
    flag(patient, "dizziness", "red", status="acknowledged")
    flag(patient, "fainting", "red", status="resolved")
    flag(patient, "shortness_of_breath", "amber")  # lung and heart
    flag(patient, "rash", "amber")  # skin

    response = nurse_client.get(QUEUE, {"system": "heart", "urgency": "red"})

    assert response.context["counts"] == {"emergency": 1, "red": 2, "amber": 1}
    assert len(shown(response)) == 2


def test_each_count_links_to_its_urgency_keeping_the_other_filters(nurse_client, patient):
    flag(patient, "palpitations", "red")

    response = nurse_client.get(QUEUE, {"system": "heart", "urgency": "red"})

    links = {c["urgency"]: c for c in response.context["count_links"]}
    assert links["amber"]["href"] == "?urgency=amber&system=heart"
    assert links["red"]["current"] and links["red"]["href"] == "?system=heart"
    assert 'href="?urgency=amber&amp;system=heart"' in response.text


def test_the_resolved_view_shows_the_most_recently_resolved_first(nurse_client, patient):
    earlier = flag(patient, "cough", status="resolved", hours_ago=5)
    later = flag(patient, "rash", "amber", status="resolved", hours_ago=2)

    response = nurse_client.get(QUEUE, {"status": "resolved"})

    assert shown(response) == [later, earlier]
    assert "Resolved in the last 30 days, most recently resolved first" in response.text


def test_the_resolved_view_is_the_last_30_days_older_ones_are_on_the_patient_page(
    nurse_client, patient
):
    old = flag(patient, "cough", status="resolved", hours_ago=24 * 40)
    recent = flag(patient, "rash", "amber", status="resolved", hours_ago=2)
    Episode.objects.filter(pk=old.episode_id).update(
        resolved_at=timezone.now() - timedelta(days=31)
    )

    response = nurse_client.get(QUEUE, {"status": "resolved"})

    assert shown(response) == [recent]
    assert response.context["counts"] == {"emergency": 0, "red": 0, "amber": 1}


def test_it_says_when_no_flag_matches_the_filters(nurse_client, patient):
    flag(patient, "rash", "amber")

    response = nurse_client.get(QUEUE, {"urgency": "emergency"})

    assert shown(response) == []
    assert "No flags match these filters." in response.text


# The page without JavaScript, and the region JavaScript refreshes


def test_the_filters_are_a_get_form_of_labelled_selects(nurse_client, patient, second_team):
    text = nurse_client.get(QUEUE).text

    assert '<form method="get" action="' + QUEUE + '"' in text
    for name in ("team", "urgency", "status", "system"):
        assert f'<label class="form-label" for="id_{name}">' in text
        assert f'<select name="{name}" class="form-select" id="id_{name}">' in text
    assert '<button class="btn btn-primary" type="submit">Show</button>' in text


def test_the_page_has_a_refresh_link_a_last_update_and_a_polite_announcer(nurse_client, patient):
    response = nurse_client.get(QUEUE, {"urgency": "red", "status": "active"})

    text = response.text
    assert f'<a href="{QUEUE}?urgency=red" data-queue-refresh>Refresh</a>' in text
    assert f'<a href="{QUEUE}" data-queue-refresh>' in nurse_client.get(QUEUE).text
    assert "Updated <time datetime=" in text
    assert 'id="queue-announcer" class="visually-hidden" aria-live="polite"' in text
    assert 'id="queue-results"' in text
    assert "js/queue.js" in text and "css/queue.css" in text


def test_the_script_and_styles_are_served_from_our_static_files():
    script = finders.find("js/queue.js")
    assert script and finders.find("css/queue.css")
    with open(script) as f:
        code = f.read()
    assert "visibilitychange" in code and 'searchParams.set("partial", "1")' in code


def test_the_partial_is_only_the_results_region_with_the_same_filters(nurse_client, patient):
    red = flag(patient, "cough", "red")
    flag(patient, "rash", "amber")

    response = nurse_client.get(QUEUE, {"urgency": "red", "partial": "1"})

    assert response["X-Queue-Results"] == "1"
    assert response["Cache-Control"] == "no-store"
    assert response.templates[0].name == "alerts/_queue_results.html"
    assert "<html" not in response.text and "<form" not in response.text
    assert f'data-flag-id="{red.pk}"' in response.text and "rash at amber" not in response.text
    assert "partial" not in response.context["refresh_url"]


def test_the_queue_links_to_the_missed_check_ins(nurse_client, patient):
    response = nurse_client.get(QUEUE)

    assert f'href="{reverse("alerts:missed")}">Missed check-ins</a>' in response.text


def test_the_partial_shows_another_teams_nurse_nothing_of_this_team(
    client, other_nurse, patient, other_patient
):
    flag(patient)
    theirs = flag(other_patient)
    login(client, other_nurse)

    response = client.get(QUEUE, {"partial": "1"})

    assert shown(response) == [theirs]
    assert "Alice Morgan" not in response.text


# Queries


def grow(team, patients: int, flags: int):
    """`flags` flags of every urgency and status over `patients` new patients."""
    crowd = []
    for _ in range(patients):
        p = PatientFactory(care_team=team)
        TreatmentFactory(patient=p)
        crowd.append(p)
    symptoms = ["palpitations", "chest_pain", "cough", "rash", "stools_per_day", "headache"]
    for i in range(flags):
        flag(
            crowd[i % patients],
            symptoms[i % len(symptoms)],
            ["red", "emergency", "amber"][i // 3 % 3],
            status=["open", "acknowledged", "resolved"][i % 3],
            hours_ago=i + 1,
        )


def queries(client, params) -> tuple[int, int]:
    """(queries run, flags shown) for one request of the queue."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(QUEUE, params)
    assert response.status_code == 200
    return len(captured), len(response.context["rows"])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"partial": "1"},
        {"status": "resolved"},
        {"system": "heart", "urgency": "red", "team": "TEAM", "partial": "1"},
    ],
)
def test_the_number_of_queries_does_not_grow_with_patients_or_flags(
    nurse_client, team, second_team, params
):
    params = {k: team.pk if v == "TEAM" else v for k, v in params.items()}
    grow(team, patients=2, flags=3)
    queries(nurse_client, params)  # the session's first request may do more
    small, few = queries(nurse_client, params)

    grow(team, patients=10, flags=30)
    large, many = queries(nurse_client, params)

    assert Flag.objects.count() == 33
    assert 0 < few < many
    assert small == large


@pytest.mark.parametrize("params", [{}, {"partial": "1"}])
def test_an_episode_of_many_check_ins_is_one_row_read_at_the_cost_of_one(
    nurse_client, patient, params
):
    flag(patient, "stools_per_day", "red", hours_ago=300)
    queries(nurse_client, params)  # the session's first request may do more
    one, rows = queries(nurse_client, params)

    for n in range(60):  # one patient sending the same red, again and again
        flag(patient, "stools_per_day", "red", hours_ago=299 - n)
    many, rows_after = queries(nurse_client, params)

    assert rows == rows_after == 1
    assert many == one
    response = nurse_client.get(QUEUE, params)
    newest = Flag.objects.filter(check_in__patient=patient).order_by("-created_at").first()
    assert shown(response) == [newest]
    assert "Episode of 61 check-ins" in response.text


def test_a_long_queue_comes_in_pages_of_the_most_urgent_first(nurse_client, team):
    from alerts.views.queue import QUEUE_PAGE_SIZE

    for n in range(QUEUE_PAGE_SIZE + 5):
        someone = PatientFactory(care_team=team)
        flag(someone, "rash", "red" if n >= QUEUE_PAGE_SIZE else "amber", hours_ago=n + 1)

    first = nurse_client.get(QUEUE)
    second = nurse_client.get(QUEUE, {"page": 2})

    assert len(shown(first)) == QUEUE_PAGE_SIZE and len(shown(second)) == 5
    assert [f.episode.urgency for f in shown(first)[:5]] == ["red"] * 5
    assert {f.episode.urgency for f in shown(second)} == {"amber"}
    assert "Page 1 of 2 (55 episodes)" in first.text
    assert 'href="?page=2">Less urgent' in first.text
    assert second.context["refresh_url"] == QUEUE + "?page=2"


def test_a_patient_who_moves_team_takes_their_episodes_to_the_new_teams_queue(
    client, nurse, other_nurse, patient, other_team
):
    waiting = flag(patient, hours_ago=2)
    closed = flag(patient, "cough", status="resolved", hours_ago=1)

    patient.care_team = other_team
    patient.save()

    assert set(Episode.objects.values_list("care_team", flat=True)) == {other_team.pk}
    login(client, nurse)
    assert shown(client.get(QUEUE)) == []
    assert client.get(reverse("alerts:flag", args=[waiting.pk])).status_code == 404
    login(client, other_nurse)
    assert shown(client.get(QUEUE)) == [waiting]
    assert shown(client.get(QUEUE, {"status": "resolved"})) == [closed]


# A patient's treatment once, and "just now" (issue 13, item 12)


def rows_of(response) -> list[str]:
    """The HTML of each row of the queue's table, in order."""
    body = response.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr ")[1:]


def test_a_patients_treatment_is_shown_on_their_first_row_only(nurse_client, patient, carol):
    flag(patient, "chest_pain", "emergency", hours_ago=4)
    flag(carol, "cough", "red", hours_ago=3)
    flag(patient, "cough", "red", hours_ago=2)
    flag(patient, "rash", "amber", hours_ago=1)

    rows = rows_of(nurse_client.get(QUEUE))

    names = ["Alice Morgan" if "Alice Morgan" in r else "Carol Reyes" for r in rows]
    assert names == ["Alice Morgan", "Carol Reyes", "Alice Morgan", "Alice Morgan"]
    treatment = "<dt>Treatment</dt>"
    assert [treatment in r for r in rows] == [True, True, False, False]
    above = "Treatment as on this patient&rsquo;s first row above."
    assert [above in r for r in rows] == [False, False, True, True]


def test_a_patients_first_row_on_a_later_page_shows_their_treatment(nurse_client, team, patient):
    from alerts.views.queue import QUEUE_PAGE_SIZE

    for n in range(QUEUE_PAGE_SIZE - 1):
        someone = PatientFactory(care_team=team)
        flag(someone, "rash", "red", hours_ago=n + 10)
    flag(patient, "cough", "red", hours_ago=2)  # page 1, the last row
    flag(patient, "rash", "amber", hours_ago=2)
    flag(patient, "headache", "amber", hours_ago=1)

    first, second = nurse_client.get(QUEUE), nurse_client.get(QUEUE, {"page": 2})

    assert "Alice Morgan" in rows_of(first)[-1]
    rows = rows_of(second)
    assert len(rows) == 2 and all("Alice Morgan" in r for r in rows)
    assert "<dt>Treatment</dt>" in rows[0] and "first row above" not in rows[0]
    assert "<dt>Treatment</dt>" not in rows[1] and "first row above" in rows[1]


def test_an_episode_opened_under_a_minute_ago_was_raised_just_now(nurse_client, patient):
    at = timezone.now() - timedelta(seconds=20)
    make_flag(make_check_in(patient, at=at), "cough", "red", rule="R9", created_at=at)
    flag(patient, "rash", "amber", hours_ago=2)

    rows = rows_of(nurse_client.get(QUEUE))

    assert "just now" in rows[0] and "minutes ago" not in rows[0]
    assert "2\xa0hours ago" in rows[1] and "just now" not in rows[1]
