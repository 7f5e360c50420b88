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
    opened = AuditEvent.objects.get(actor_role="admin", action="viewed")  # that page, just now
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
    assert AuditEvent.objects.count() == 3


def test_staff_see_it_with_the_view_permission_and_not_without(client, trail):
    clerk = UserFactory(username="clerk", is_staff=True)
    login(client, clerk)
    assert client.get(LIST).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    assert client.get(LIST).status_code == 200
