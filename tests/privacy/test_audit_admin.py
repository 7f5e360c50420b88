"""The audit trail in the admin: read-only, filterable, searchable; names shown only
while the person exists."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from patients import audit
from patients.models import AuditEvent

from ..conftest import login
from ..factories import UserFactory

LIST = reverse("admin:patients_auditevent_changelist")


@pytest.fixture
def trail(patient, other_patient, nurse, admin_user):
    """A nurse viewed alice; an admin changed bob; alice exported her data."""
    return [
        audit.record(nurse, "viewed", patient, obj=patient),
        audit.record(admin_user, "changed", other_patient, obj=other_patient, detail="x"),
        audit.record(patient.user, "exported", patient, obj=patient, detail="JSON"),
    ]


def shown(response) -> list[int]:
    return [event.pk for event in response.context["cl"].result_list]


def test_the_list_shows_who_did_what_to_whose_record(admin_client_, trail, patient):
    response = admin_client_.get(LIST)

    assert response.status_code == 200
    assert sorted(shown(response)) == sorted(e.pk for e in trail)
    text = response.text
    assert f"Alice Morgan ({patient.hospital_number})" in text  # she exists: a join
    assert "nadia" in text and "Clinician" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=viewed", [0]),
        ("actor_role=admin", [1]),
        ("actor_role__exact=patient", [2]),
    ],
)
def test_it_filters_by_action_and_role(admin_client_, trail, query, expected):
    response = admin_client_.get(f"{LIST}?{query}")

    assert shown(response) == [trail[i].pk for i in expected]


def test_it_filters_by_date(admin_client_, trail, patient, nurse):
    with time_machine.travel(datetime(2020, 1, 2, 12, tzinfo=UTC), tick=False):
        old = audit.record(nurse, "viewed", patient)

    response = admin_client_.get(f"{LIST}?at__year=2020")

    assert shown(response) == [old.pk]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("alice_ref", [2, 0]),  # her reference: every event about her
        ("hospital_number", [2, 0]),
        ("Morgan", [2, 0]),  # her name, while she exists (she acted too)
        ("nadia", [0]),  # a clinician's username
        ("Okafor", [1]),
    ],
)
def test_it_searches_by_reference_hospital_number_username_or_name(
    admin_client_, trail, patient, term, expected
):
    term = {
        "alice_ref": audit.patient_ref(patient.pk),
        "hospital_number": patient.hospital_number,
    }.get(term, term)

    response = admin_client_.get(LIST, {"q": term})

    assert shown(response) == [trail[i].pk for i in expected]


def test_the_patients_page_links_to_their_events(admin_client_, trail, patient):
    page = admin_client_.get(reverse("admin:patients_patient_change", args=[patient.pk]))
    ref = audit.patient_ref(patient.pk)

    assert f"{LIST}?patient_ref={ref}" in page.text
    response = admin_client_.get(LIST, {"patient_ref": ref})
    # that page, just now
    opened = listed(object_type="patients.patient")[0]
    assert shown(response) == [opened.pk, trail[2].pk, trail[0].pk]


def test_nobody_can_add_change_or_delete_an_event(admin_client_, trail):
    event = trail[0]
    change = reverse("admin:patients_auditevent_change", args=[event.pk])

    assert admin_client_.get(reverse("admin:patients_auditevent_add")).status_code == 403
    page = admin_client_.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.text  # read-only
    assert admin_client_.post(change, {"detail": "rewritten"}).status_code == 403
    delete = reverse("admin:patients_auditevent_delete", args=[event.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    assert 'value="delete_selected"' not in admin_client_.get(LIST).text
    assert AuditEvent.objects.exclude(actor_role="admin", action="viewed").count() == 3


def test_staff_see_it_with_the_view_permission_and_not_without(client, trail):
    clerk = UserFactory(username="clerk", is_staff=True)
    login(client, clerk)
    assert client.get(LIST).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    assert client.get(LIST).status_code == 200


# Admin lists and searches: every page that shows patient data is recorded


def listed(**filters) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(actor_role="admin", action="viewed", **filters)
    return list(events.order_by("pk"))


@pytest.fixture
def records(patient, other_patient, carer):
    """A red check-in each for alice and bob, flagged and alerted; alice has a carer."""
    from ..privacy.conftest import flagged

    return [flagged(who, stools_per_day=9) for who in (patient, other_patient)]


def test_a_search_of_the_patients_list_is_recorded_without_the_term(
    admin_client_, admin_user, patient, other_patient
):
    response = admin_client_.get(reverse("admin:patients_patient_changelist"), {"q": "Morgan"})

    assert response.status_code == 200
    assert "Alice" in response.text and "Bob" not in response.text
    (event,) = listed()
    assert (event.patient_id, event.object_type) == (patient.pk, "patients.patient")
    assert event.actor_label == "admin" and event.ip
    assert "patients" in event.detail and "search #" in event.detail
    assert "morgan" not in event.detail.lower()


def test_a_search_that_finds_nobody_is_recorded_too(admin_client_, patient):
    admin_client_.get(reverse("admin:patients_patient_changelist"), {"q": "Nobody-Like-This"})

    (event,) = listed()
    assert event.patient_id is None and event.object_type == "patients.patient"
    assert "0 of 0" in event.detail and "search #" in event.detail
    assert "nobody" not in event.detail.lower()


def test_the_trail_finds_who_searched_for_a_name(admin_client_, patient, other_patient):
    admin_client_.get(reverse("admin:patients_patient_changelist"), {"q": "morgan "})
    admin_client_.get(reverse("admin:patients_patient_changelist"), {"q": "Okafor"})
    morgan, okafor = AuditEvent.objects.order_by("pk")

    response = admin_client_.get(LIST, {"q": "Morgan"})

    assert morgan.pk in shown(response) and okafor.pk not in shown(response)


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("patients/patient", ""),
        ("patients/checkin", ""),
        ("patients/flag", ""),
        ("patients/carer", ""),
        ("alerts/alert", ""),
        ("auth/user", ""),
        ("patients/checkin", "?q=Okafor"),
        ("patients/flag", "?urgency__exact=red"),
    ],
)
def test_every_list_that_shows_patients_records_whom_it_showed(
    admin_client_, records, patient, other_patient, model, query
):
    response = admin_client_.get(f"/admin/{model}/{query}")

    assert response.status_code == 200
    expected = {p.pk for p in (patient, other_patient) if p.user.last_name in response.text}
    assert expected, "the list shows a patient"
    events = listed()
    assert {e.patient_id for e in events} == expected
    assert {e.object_type for e in events} == {model.replace("/", ".")}
    assert len(events) == len(expected)  # one row a patient, however many rows they have


def test_the_audit_trails_own_list_is_recorded_for_the_patients_it_names(
    admin_client_, trail, patient, other_patient
):
    admin_client_.get(LIST)

    assert {e.patient_id for e in listed(object_type="patients.auditevent")} == {
        patient.pk,
        other_patient.pk,
    }


@pytest.mark.parametrize("model", ["patients/careteam", "patients/contact", "alerts/notification"])
def test_lists_of_the_teams_contacts_and_deliveries_are_not_recorded(admin_client_, records, model):
    assert admin_client_.get(f"/admin/{model}/").status_code == 200

    assert listed() == []


@pytest.mark.parametrize("number", ["H1234567", "9434765919"])  # a hospital or NHS number
def test_a_filter_value_that_may_name_someone_is_not_kept(admin_client_, patient, number):
    type(patient).objects.filter(pk=patient.pk).update(hospital_number=number)
    url = reverse("admin:patients_patient_changelist")

    admin_client_.get(
        url, {"hospital_number": number, "care_team__id__exact": patient.care_team_id}
    )

    (event,) = listed()
    assert number not in event.detail
    assert f"care_team__id__exact={patient.care_team_id}" in event.detail
    assert "hospital_number=#" in event.detail


def test_a_patients_history_and_erasure_pages_are_recorded(admin_client_, patient):
    admin_client_.get(reverse("admin:patients_patient_history", args=[patient.pk]))
    admin_client_.get(reverse("admin:patients_patient_erase", args=[patient.pk]))

    assert [(e.patient_id, e.detail) for e in listed()] == [
        (patient.pk, "history"),
        (patient.pk, "erasure page"),
    ]


def test_a_patients_account_page_is_recorded(admin_client_, patient):
    admin_client_.get(reverse("admin:auth_user_change", args=[patient.user_id]))

    (event,) = listed()
    assert event.patient_id == patient.pk and event.object_type == "auth.user"


def test_an_autocomplete_search_for_a_person_is_recorded_without_the_term(admin_client_, patient):
    response = admin_client_.get(
        reverse("admin:autocomplete"),
        {
            "term": "Morgan",
            "app_label": "patients",
            "model_name": "patient",
            "field_name": "user",
        },
    )

    assert response.status_code == 200 and "alice" in response.text  # her username
    (event,) = listed()
    assert event.object_type == "auth.user" and "search #" in event.detail
    assert "morgan" not in event.detail.lower()
