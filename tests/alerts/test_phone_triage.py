"""Nurse phone triage (issue 15, item 1): a clinician records a call as a check-in
"entered by a clinician, by phone", judged by the same engine as the patient's own
form, with the outcome, the advice given, and a reason for a lower urgency."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, PhoneCall
from alerts.services import flagging
from alerts.services.figures import team_figures
from patients.models import Action, AuditEvent, CheckIn, Episode
from patients.services.check_ins import evaluate

from ..conftest import Client, login
from ..factories import PatientFactory, UserFactory, add_member, make_check_in

# (answers as the forms post them, the engine's urgency): green, amber, red,
# emergency, two ambers (red by R15), a fever.
CASES = [
    ({"stools_per_day": "1", "fatigue": "1", "wellbeing": "8"}, "green"),
    ({"stools_per_day": "3"}, "amber"),
    ({"stools_per_day": "9"}, "red"),
    ({"chest_pain": "yes"}, "emergency"),
    ({"itching": "2", "rash": "2"}, "red"),
    ({"temperature_c": "38.2", "temperature_unit": "C"}, "red"),
]


def posted(answers, **more):
    return {"form_token": str(uuid.uuid4()), **answers, **more}


def call_url(patient, name="alerts:call"):
    return reverse(name, args=[patient.pk])


def findings(evaluation):
    return [(f.symptom, f.urgency, f.rule, f.explanation) for f in evaluation.findings]


@pytest.fixture
def nurse_client(nurse):
    return login(Client(), nurse)


@pytest.mark.parametrize(("answers", "urgency"), CASES)
def test_a_call_gets_the_same_result_as_the_patients_own_form(
    patient, nurse, nurse_client, answers, urgency
):
    patient_client = login(Client(), patient.user)
    response = patient_client.post(reverse("patients:check_in"), posted(answers))
    assert response.status_code == 302
    own = CheckIn.objects.get(entered_by="patient")
    expected = evaluate(own)
    assert expected.urgency == urgency
    own.delete()  # the call is judged with the same history as the patient's form was

    preview = nurse_client.post(call_url(patient, "alerts:call_preview"), posted(answers))
    assert f'data-urgency="{urgency}"' in preview.content.decode()
    for finding in expected.alerting_findings:
        assert finding.explanation in preview.content.decode()

    page = nurse_client.post(call_url(patient), posted(answers, work_out="1"))
    assert page.status_code == 200 and f'data-urgency="{urgency}"' in page.content.decode()
    assert not CheckIn.objects.exists()  # working it out saves nothing

    saved = nurse_client.post(call_url(patient), posted(answers, advice="call_back"))
    assert saved.status_code == 302
    call = PhoneCall.objects.select_related("check_in").get()
    assert call.check_in.entered_by == "clinician" and call.check_in.entered_by_user == nurse
    assert (call.engine_urgency, call.urgency, call.check_in.urgency) == (urgency,) * 3
    assert findings(evaluate(call.check_in)) == findings(expected)


def test_a_lower_urgency_without_a_reason_is_refused_and_nothing_is_saved(patient, nurse_client):
    response = nurse_client.post(
        call_url(patient), posted({"stools_per_day": "9"}, outcome="amber", advice="same_day")
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "lower than the engine&#x27;s red: write why. Nothing has been saved." in page
    assert not CheckIn.objects.exists() and not PhoneCall.objects.exists()


def test_a_lower_urgency_with_a_reason_is_saved_audited_and_counted(patient, nurse, nurse_client):
    reason = "Known stoma; 9 is her usual output since surgery last week."
    response = nurse_client.post(
        call_url(patient),
        posted(
            {"stools_per_day": "9"},
            outcome="amber",
            override_reason=reason,
            advice="same_day",
            note="Review in clinic this afternoon.",
        ),
    )

    assert response.status_code == 302
    call = PhoneCall.objects.get()
    assert (call.engine_urgency, call.urgency, call.lowered) == ("red", "amber", True)
    assert call.override_reason == reason and call.by == nurse
    event = AuditEvent.objects.get(object_type="alerts.phonecall")
    assert event.action == "created" and event.actor_id == nurse.pk
    assert "engine red, chosen amber" in event.detail and "LOWERED" in event.detail
    assert reason not in event.detail  # the trail keeps no free text
    figures = team_figures(team=patient.care_team)
    assert (figures.phone_calls, figures.phone_overrides) == (1, 1)
    page = nurse_client.get(reverse("alerts:figures", args=[patient.care_team.pk]))
    assert "1 call with an outcome below the engine" in page.content.decode()


def test_a_higher_urgency_needs_no_reason(patient, nurse_client):
    response = nurse_client.post(
        call_url(patient), posted({"stools_per_day": "3"}, outcome="red", advice="attend_now")
    )

    assert response.status_code == 302
    call = PhoneCall.objects.get()
    assert (call.engine_urgency, call.urgency, call.lowered, call.override_reason) == (
        "amber",
        "red",
        False,
        "",
    )
    assert team_figures(team=patient.care_team).phone_overrides == 0


def test_the_advice_given_is_required(patient, nurse_client):
    response = nurse_client.post(call_url(patient), posted({"stools_per_day": "3"}))

    assert response.status_code == 400
    assert "Choose the advice you gave." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_the_same_form_sent_twice_saves_once(patient, nurse_client):
    data = posted({"stools_per_day": "3"}, advice="same_day")

    first = nurse_client.post(call_url(patient), data)
    second = nurse_client.post(call_url(patient), data, follow=True)

    assert first.status_code == 302 and second.status_code == 200
    assert "already saved" in second.content.decode()
    assert CheckIn.objects.count() == 1 and PhoneCall.objects.count() == 1


def test_a_call_joins_the_open_episode_and_records_its_action_once(patient, nurse, nurse_client):
    earlier = timezone.now() - timedelta(hours=1)
    own = make_check_in(patient, at=earlier, stools_per_day=3)  # amber, from the patient
    flagging.flag_check_in(own.pk, now=earlier)
    episode = Episode.objects.get()
    assert episode.status == "open" and Alert.objects.count() == 1

    nurse_client.post(
        call_url(patient),
        posted({"stools_per_day": "3"}, advice="same_day", note="Loperamide discussed."),
    )
    at = timezone.now()
    call = PhoneCall.objects.get()
    flagging.flag_check_in(call.check_in_id, now=at)
    flagging.flag_check_in(call.check_in_id, now=at)  # run twice: nothing twice
    call.refresh_from_db()
    assert call.actions_recorded_at == at

    assert Episode.objects.count() == 1
    flag = call.check_in.flags.get()
    assert flag.episode == episode
    action = Action.objects.get()
    assert (action.episode, action.kind, action.taken_by) == (episode, "advice", nurse)
    assert "outcome amber" in action.note and "same-day review" in action.note
    assert "Loperamide discussed." in action.note
    episode.refresh_from_db()
    # The caller acknowledged it: the patient's alert stops escalating, and the call
    # raises none (nobody is paged to phone a patient on the phone already).
    assert episode.status == "acknowledged"
    assert episode.acknowledgements.get().by == nurse
    assert not Alert.objects.filter(check_in=call.check_in).exists()
    assert not Alert.objects.unanswered().exists()

    timeline = nurse_client.get(reverse("alerts:patient", args=[patient.pk])).content.decode()
    assert "clinician, by phone (Nadia Hughes)" in timeline
    assert "advice given: same-day review" in timeline


def test_a_less_urgent_call_leaves_a_red_episode_open_with_its_alert(patient, nurse, nurse_client):
    earlier = timezone.now() - timedelta(hours=1)
    own = make_check_in(patient, at=earlier, stools_per_day=9)  # red, from the patient
    flagging.flag_check_in(own.pk, now=earlier)
    episode = Episode.objects.get()
    assert episode.urgency == "red" and Alert.objects.unanswered().count() == 1

    nurse_client.post(call_url(patient), posted({"stools_per_day": "3"}, advice="same_day"))
    call = PhoneCall.objects.get()
    assert call.urgency == "amber"
    flagging.flag_check_in(call.check_in_id, now=timezone.now())

    episode.refresh_from_db()
    # Joined and recorded, but an amber call does not answer a red alert for it.
    assert call.check_in.flags.get().episode == episode
    assert Action.objects.get().episode == episode
    assert episode.status == "open" and not episode.acknowledgements.exists()
    assert Alert.objects.unanswered().count() == 1


def test_a_red_the_caller_saw_and_lowered_with_a_reason_is_acknowledged_by_them(
    patient, nurse, nurse_client
):
    nurse_client.post(
        call_url(patient),
        posted(
            {"stools_per_day": "9"},
            outcome="amber",
            override_reason="Her usual stoma output since the operation.",
            advice="same_day",
        ),
    )
    call = PhoneCall.objects.get()
    assert (call.engine_urgency, call.urgency) == ("red", "amber")
    flagging.flag_check_in(call.check_in_id, now=timezone.now())

    episode = Episode.objects.get()
    assert episode.urgency == "red" and episode.status == "acknowledged"
    assert episode.acknowledgements.get().by == nurse
    assert not Alert.objects.unanswered().exists()


def test_a_form_token_of_a_check_in_that_is_no_call_saves_nothing(patient, nurse_client):
    own = make_check_in(patient, stools_per_day=1)
    token = uuid.uuid4()
    CheckIn.objects.filter(pk=own.pk).update(form_token=token)
    before = CheckIn.objects.count()

    response = nurse_client.post(
        call_url(patient),
        {**posted({"stools_per_day": "1"}, advice="call_back"), "form_token": str(token)},
    )

    assert response.status_code == 409
    assert "open the call page again" in response.content.decode()
    assert CheckIn.objects.count() == before and not PhoneCall.objects.exists()


def test_a_call_opens_an_episode_when_none_is_open(patient, nurse, nurse_client):
    nurse_client.post(call_url(patient), posted({"chest_pain": "yes"}, advice="attend_now"))
    call = PhoneCall.objects.get()
    flagging.flag_check_in(call.check_in_id)

    episode = Episode.objects.get()
    assert (episode.symptom, episode.urgency, episode.status) == (
        "chest_pain",
        "emergency",
        "acknowledged",
    )
    assert episode.actions.get().kind == "advice"
    flag_page = nurse_client.get(reverse("alerts:flag", args=[episode.latest_flag_id]))
    assert "advice given: attend now" in flag_page.content.decode()


def test_a_green_call_records_no_action(patient, nurse_client):
    nurse_client.post(call_url(patient), posted({"fatigue": "1"}, advice="self_care"))
    call = PhoneCall.objects.get()
    flagging.flag_check_ins([call.check_in_id])

    assert not Episode.objects.exists() and not Action.objects.exists()


# Finding the patient


@pytest.fixture
def many_patients(team):
    for n in range(25):
        user = UserFactory(username=f"m{n}", first_name=f"Mia{n}", last_name="Morgan")
        PatientFactory(care_team=team, user=user, hospital_number=f"RX{n:04d}")


def test_search_by_name_lists_own_teams_patients_a_page_at_a_time(
    patient, other_patient, nurse_client, many_patients
):
    url = reverse("alerts:patient_search")
    with CaptureQueriesContext(connection) as empty:
        nurse_client.get(url, {"q": "m"})  # too short: no search
    with CaptureQueriesContext(connection) as queries:
        page = nurse_client.get(url, {"q": "morgan"}).content.decode()
    # The search adds three queries, whatever it finds: the count, the page, the trail.
    assert len(queries) <= len(empty) + 3
    assert "26 patients match" in page
    assert page.count("Record a phone call<span") == 20
    other = nurse_client.get(url, {"q": "okafor"}).content.decode()
    assert "Bob Okafor" not in other and "No patient of your teams matches" in other
    second = nurse_client.get(url, {"q": "morgan", "page": "2"}).content.decode()
    assert second.count("Record a phone call<span") == 6
    assert "alice morgan" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_search_by_hospital_number_and_by_first_and_last_name(patient, nurse_client):
    url = reverse("alerts:patient_search")
    number = patient.hospital_number
    for term in (number, number.lower(), "alice morgan", "Morgan A"):
        page = nurse_client.get(url, {"q": term}).content.decode()
        assert "1 patient matches" in page, term
        assert call_url(patient) in page
    assert "at least two letters" in nurse_client.get(url, {"q": "a"}).content.decode()


def test_another_teams_patient_is_a_404(other_patient, nurse_client):
    for name in ("alerts:call", "alerts:call_preview"):
        response = nurse_client.post(
            call_url(other_patient, name), posted({"stools_per_day": "9"}, advice="attend_now")
        )
        assert response.status_code == 404
    assert nurse_client.get(call_url(other_patient)).status_code == 404
    assert not CheckIn.objects.exists()


def test_a_coordinator_of_the_team_records_a_call_and_a_patient_cannot(patient, team):
    coordinator = UserFactory(username="cora")
    add_member(team, coordinator, role="coordinator")
    client = login(Client(), coordinator)
    response = client.post(call_url(patient), posted({"stools_per_day": "3"}, advice="same_day"))
    assert response.status_code == 302

    patient_client = login(Client(), patient.user)
    assert patient_client.get(call_url(patient)).status_code == 404
    assert patient_client.get(reverse("alerts:patient_search")).status_code == 404


def test_the_call_page_shows_the_usual_beside_each_question(patient, nurse_client):
    page = nurse_client.get(call_url(patient)).content.decode()

    assert "The patient&#x27;s usual: 1 a day" in page or "The patient's usual" in page
    assert 'data-preview-url="' + call_url(patient, "alerts:call_preview") in page
    assert "Work out the result" in page


def test_a_result_that_changed_before_saving_refuses_a_lower_urgency_without_a_reason(
    patient, nurse_client, monkeypatch
):
    """The page judged the answers amber; saved, they are judged red (something came
    in meanwhile): the amber chosen without a reason is not saved."""
    from clinical.engine import Evaluation

    monkeypatch.setattr(
        "alerts.views.phone.judge_call", lambda patient, answers: Evaluation("amber")
    )
    response = nurse_client.post(
        call_url(patient), posted({"stools_per_day": "9"}, outcome="amber", advice="same_day")
    )

    assert response.status_code == 409
    assert "The result changed while you were recording" in response.content.decode()
    assert not CheckIn.objects.exists() and not PhoneCall.objects.exists()
