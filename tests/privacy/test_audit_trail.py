"""The audit trail: append-only, pseudonymous, and written by every view or change
of a patient's records and every alert action."""

from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from alerts.messages import ack_token
from alerts.models import Notification
from patients import audit
from patients.models import AppendOnlyError, AuditEvent

from ..alerts.test_contact_editor import edit
from ..conftest import login
from ..factories import UserFactory, add_member
from .conftest import ACTION_NOTE, RESOLUTION_NOTE, TUESDAY_10, flagged


def only_event(**filters) -> AuditEvent:
    return AuditEvent.objects.get(**filters)


# Append-only


def test_an_event_cannot_be_changed_or_deleted_through_the_orm(patient, nurse):
    event = audit.record(nurse, "viewed", patient, obj=patient)

    event.detail = "something else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["detail"])
    assert AuditEvent.objects.get().detail == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE patients_auditevent SET detail = 'rewritten'",
        "DELETE FROM patients_auditevent",
    ],
)
def test_postgresql_refuses_any_update_or_delete_of_a_row(patient, nurse, sql):
    audit.record(nurse, "viewed", patient, obj=patient)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert AuditEvent.objects.get().detail == ""


def test_deleting_a_user_who_acted_leaves_their_events_as_they_were(patient, nurse):
    audit.record(nurse, "viewed", patient, obj=patient)

    nurse.delete()  # no foreign key: nothing to set to NULL, so the trail is not touched

    event = AuditEvent.objects.get()
    assert event.actor_id is not None and event.actor_label == "nadia"


# What a row holds


def test_the_patient_reference_is_stable_keyed_and_does_not_show_the_id(settings):
    # An id long enough that finding it in 20 hex digits by chance is
    # negligible (SECRET_KEY differs from machine to machine).
    ref = audit.patient_ref(987654321)

    assert ref == audit.patient_ref(987654321) and len(ref) == 20
    assert ref != audit.patient_ref(987654322) and "987654321" not in ref
    settings.SECRET_KEY = "another-key-entirely-" * 3
    assert audit.patient_ref(987654321) != ref
    # A key of its own keeps references stable when SECRET_KEY is rotated.
    settings.AUDIT_PSEUDONYM_KEY = "a-key-kept-for-the-trail-" * 2
    kept = audit.patient_ref(42)
    settings.SECRET_KEY = "yet-another-key-" * 4
    assert audit.patient_ref(42) == kept


def test_the_role_is_worked_out_and_only_staff_are_named(patient, nurse, carer, admin_user):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")

    request.user = patient.user
    own = audit.record(request, "created", patient)
    request.user, request.carer = carer, patient.carers.get(user=carer)
    cared = audit.record(request, "viewed", patient)
    del request.carer
    request.user = nurse
    clinician = audit.record(request, "viewed", patient)
    request.user = admin_user
    admin = audit.record(request, "changed", patient.pk)
    system = audit.record(None, "created", patient)

    assert [e.actor_role for e in (own, cared, clinician, admin, system)] == [
        "patient",
        "carer",
        "clinician",
        "admin",
        "system",
    ]
    assert [e.actor_label for e in (own, cared, clinician, admin, system)] == [
        "",
        "",
        "nadia",
        "admin",
        "",
    ]
    # A patient's own address is not kept; someone looking at another's records is.
    assert own.ip is None and cared.ip == clinician.ip == "203.0.113.9"
    assert {e.patient_ref for e in (own, cared, clinician, admin, system)} == {
        audit.patient_ref(patient.pk)
    }


def test_an_unknown_action_or_role_is_refused(patient, nurse):
    with pytest.raises(ValueError, match="action"):
        audit.record(nurse, "peeked", patient)
    with pytest.raises(ValueError, match="role"):
        audit.record(nurse, "viewed", patient, role="janitor")
    assert not AuditEvent.objects.exists()


# The care team's pages


def test_a_nurse_opening_a_patient_or_a_flag_is_recorded(nurse_client, nurse, patient):
    flag = flagged(patient, stools_per_day=9)

    nurse_client.get(reverse("alerts:patient", args=[patient.pk]))
    nurse_client.get(reverse("alerts:flag", args=[flag.pk]))

    timeline, detail = AuditEvent.objects.order_by("pk")
    assert (timeline.action, timeline.object_type, timeline.object_id) == (
        "viewed",
        "patients.patient",
        str(patient.pk),
    )
    assert (detail.action, detail.object_type, detail.object_id) == (
        "viewed",
        "patients.flag",
        str(flag.pk),
    )
    for event in (timeline, detail):
        assert event.actor_id == nurse.pk and event.actor_label == "nadia"
        assert event.actor_role == "clinician" and event.ip == "127.0.0.1"
        assert event.patient_id == patient.pk
        assert event.patient_ref == audit.patient_ref(patient.pk)


def test_a_nurse_of_another_team_is_refused_and_nothing_is_recorded(client, other_nurse, patient):
    flag = flagged(patient, stools_per_day=9)
    login(client, other_nurse)

    assert client.get(reverse("alerts:flag", args=[flag.pk])).status_code == 404
    assert client.get(reverse("alerts:patient", args=[patient.pk])).status_code == 404
    assert not AuditEvent.objects.exists()


def test_acknowledge_action_and_resolve_are_recorded_without_the_notes(
    nurse_client, nurse, patient
):
    flag = flagged(patient, stools_per_day=9)

    nurse_client.post(reverse("alerts:acknowledge", args=[flag.pk]), {"seen": flag.pk})
    # already: not again
    nurse_client.post(reverse("alerts:acknowledge", args=[flag.pk]), {"seen": flag.pk})
    nurse_client.post(
        reverse("alerts:action", args=[flag.pk]),
        {"kind": "phoned", "note": ACTION_NOTE, "seen": flag.pk},
    )
    nurse_client.post(
        reverse("alerts:resolve", args=[flag.pk]), {"note": RESOLUTION_NOTE, "seen": flag.pk}
    )
    nurse_client.post(
        reverse("alerts:resolve", args=[flag.pk]), {"note": RESOLUTION_NOTE, "seen": flag.pk}
    )

    events = list(AuditEvent.objects.order_by("pk"))
    assert [(e.action, e.detail) for e in events] == [
        ("acknowledged", ""),
        ("action", "phoned"),
        ("resolved", ""),
    ]
    assert all(e.object_type == "patients.flag" and e.object_id == str(flag.pk) for e in events)
    assert all(e.actor_id == nurse.pk and e.patient_id == patient.pk for e in events)


def test_an_action_that_fails_leaves_no_event(nurse_client, patient):
    flag = flagged(patient, stools_per_day=9)

    response = nurse_client.post(reverse("alerts:action", args=[flag.pk]), {"kind": "juggled"})

    assert response.status_code == 400
    assert not AuditEvent.objects.exclude(action="viewed").exists()


def test_using_an_acknowledge_link_is_recorded(nurse_client, nurse, patient):
    flag = flagged(patient, stools_per_day=9)
    notification = Notification.objects.filter(alert__check_in=flag.check_in).first()
    with time_machine.travel(TUESDAY_10, tick=False):
        link = reverse("alerts:ack", args=[ack_token(notification.pk)])

    with time_machine.travel(TUESDAY_10 + timedelta(minutes=5), tick=False):
        nurse_client.get(link)
        nurse_client.get(link)  # used already: refused, not recorded again

    event = only_event(action="link_used")
    assert event.object_type == "alerts.notification"
    assert event.object_id == str(notification.pk)
    assert event.patient_id == patient.pk and event.actor_id == nurse.pk


def test_saving_a_teams_contact_list_in_the_app_is_recorded(client, team):
    coordinator = UserFactory(username="cora")
    add_member(team, coordinator, role="coordinator")
    login(client, coordinator)

    response = edit(client, team, changes={"Acute oncology 24-hour line": {"phone": "020 1"}})

    assert response.status_code == 302
    event = only_event(action="changed")
    assert event.object_type == "patients.careteam" and event.object_id == str(team.pk)
    assert event.patient_id is None and event.actor_role == "clinician"
    assert event.detail == "contact list: 1 contact changed"


def test_a_refused_contact_list_leaves_no_event(client, team):
    coordinator = UserFactory(username="cora")
    add_member(team, coordinator, role="coordinator")
    login(client, coordinator)

    not_24_7 = {"always_on_duty": False}
    response = edit(
        client,
        team,
        changes={"Acute oncology 24-hour line": not_24_7, "On-call oncology registrar": not_24_7},
    )

    assert response.status_code == 400
    assert not AuditEvent.objects.exists()


# The admin


def test_an_admin_opening_and_changing_a_patient_is_recorded_with_field_names_only(
    admin_client_, admin_user, patient
):
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    page = admin_client_.get(url)
    data = {
        "user": patient.user_id,
        "care_team": patient.care_team_id,
        "hospital_number": "H7654321",
        "time_zone": "Europe/Paris",
        "created_at_0": "2026-01-01",
        "created_at_1": "10:00:00",
        "reminders": "on",
        "reminder_time": "18:00",
        "treatments-TOTAL_FORMS": "0",
        "treatments-INITIAL_FORMS": "0",
        "baselines-TOTAL_FORMS": "0",
        "baselines-INITIAL_FORMS": "0",
    }
    for prefix in ("treatments", "baselines"):
        formset = next(
            f for f in page.context["inline_admin_formsets"] if f.formset.prefix == prefix
        )
        data[f"{prefix}-TOTAL_FORMS"] = str(formset.formset.total_form_count())
        data[f"{prefix}-INITIAL_FORMS"] = str(formset.formset.initial_form_count())
        for form in formset.formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value not in (None, False):
                    data[form.add_prefix(name)] = "on" if value is True else str(value)

    response = admin_client_.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    viewed, changed = AuditEvent.objects.order_by("pk")
    assert (viewed.action, viewed.actor_role, viewed.actor_label) == ("viewed", "admin", "admin")
    assert changed.action == "changed" and changed.patient_id == patient.pk
    assert "hospital_number" in changed.detail and "time_zone" in changed.detail
    assert "H7654321" not in changed.detail and "Paris" not in changed.detail


def test_an_admin_opening_a_check_in_or_a_flag_is_recorded(admin_client_, patient):
    flag = flagged(patient, stools_per_day=9)

    admin_client_.get(reverse("admin:patients_checkin_change", args=[flag.check_in_id]))
    admin_client_.get(reverse("admin:patients_flag_change", args=[flag.pk]))
    admin_client_.get(reverse("admin:patients_checkin_changelist"))  # a list: each patient shown

    assert [(e.object_type, e.patient_id) for e in AuditEvent.objects.order_by("pk")] == [
        ("patients.checkin", patient.pk),
        ("patients.flag", patient.pk),
        ("patients.checkin", patient.pk),
    ]
    assert [e.object_id for e in AuditEvent.objects.order_by("pk")][-1] == ""


def test_an_admin_removing_a_carers_access_is_recorded(admin_client_, patient, carer):
    link = patient.carers.get()

    admin_client_.post(
        reverse("admin:patients_carer_changelist"),
        {"action": "remove_access", "_selected_action": [link.pk]},
    )

    event = only_event(action="carer_revoked")
    assert event.patient_id == patient.pk and event.object_id == str(link.pk)
    assert event.actor_role == "admin"


def test_no_event_names_a_patient_or_a_carer(client, patient, carer, nurse):
    flag = flagged(patient, stools_per_day=9)
    login(client, nurse)
    client.get(reverse("alerts:flag", args=[flag.pk]))
    client.post(
        reverse("alerts:resolve", args=[flag.pk]), {"note": "Alice Morgan is fine", "seen": flag.pk}
    )
    login(client, patient.user)
    client.get(reverse("patients:my_data_json"))

    assert AuditEvent.objects.count() == 3
    for event in AuditEvent.objects.all():
        text = " ".join(str(getattr(event, f.attname)) for f in AuditEvent._meta.fields)
        for name in ("Alice", "Morgan", "alice", "Cara", patient.hospital_number):
            assert name not in text
