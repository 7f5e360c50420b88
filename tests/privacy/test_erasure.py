"""Erasing a patient from the admin: everything about them goes, in one go; the
audit trail stays, pseudonymous."""

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from alerts.models import Alert, DeliveryAttempt, Notification, PhoneCall
from patients import audit
from patients.models import (
    Acknowledgement,
    Action,
    AuditEvent,
    Baseline,
    Carer,
    CheckIn,
    Episode,
    Flag,
    Patient,
    Question,
    Reminder,
    SmsReply,
    Treatment,
)
from patients.privacy import ErasureRefused, _records, erase_patient

from ..conftest import login
from ..factories import UserFactory
from .conftest import ACTION_NOTE, FREE_TEXT, QUESTION, RESOLUTION_NOTE, flagged

User = get_user_model()
PATIENT_DATA = [
    Patient,
    Treatment,
    Baseline,
    CheckIn,
    Question,
    Reminder,
    SmsReply,
    Carer,
    Episode,
    Acknowledgement,
    Action,
    Flag,
    Alert,
    Notification,
    DeliveryAttempt,
    PhoneCall,
]


def reaches_a_patient(model, seen=()) -> bool:
    """Whether rows of `model` point, through foreign keys, to a patient."""
    if model is Patient:
        return True
    return any(
        field.concrete and (field.many_to_one or field.one_to_one)
        and field.related_model not in seen
        and reaches_a_patient(field.related_model, (*seen, model))
        for field in model._meta.get_fields()
    )  # fmt: skip


def test_every_kind_of_record_about_a_patient_is_erased_and_counted(patient):
    """A model added later, in any app, that points to a patient must be in the
    erasure's summary (patients/privacy.py, or its app's registered PersonalData)."""
    about_a_patient = {m for m in apps.get_models() if reaches_a_patient(m)}
    assert about_a_patient == set(PATIENT_DATA)
    assert {model for model, _rows in _records(patient)} == {*PATIENT_DATA, User}


def erase_url(patient) -> str:
    return reverse("admin:patients_patient_erase", args=[patient.pk])


def erase(client, patient, typed=None):
    return client.post(erase_url(patient), {"hospital_number": typed or patient.hospital_number})


def rows_naming(needles) -> list[tuple[str, str]]:
    """(model, needle) for every row of every model whose text holds a needle."""
    found = []
    for model in apps.get_models():
        text = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        for needle in needles:
            query = models.Q()
            for field in text:
                query |= models.Q(**{f"{field.attname}__icontains": needle})
            if text and model._default_manager.filter(query).exists():
                found.append((model._meta.label, needle))
    return found


def rows_pointing_at(model, pks) -> list[str]:
    """Every foreign key, in every model, still pointing at one of these rows."""
    found = []
    for other in apps.get_models():
        for field in other._meta.concrete_fields:
            if (
                field.is_relation
                and field.related_model is model
                and other._default_manager.filter(**{f"{field.attname}__in": pks}).exists()
            ):
                found.append(f"{other._meta.label}.{field.name}")
    return found


# How each kind of record reaches its patient.
PATIENT_PATH = {
    Patient: "pk",
    Acknowledgement: "episode__patient",
    Action: "episode__patient",
    Flag: "check_in__patient",
    Alert: "check_in__patient",
    Notification: "alert__check_in__patient",
    DeliveryAttempt: "notification__alert__check_in__patient",
    PhoneCall: "check_in__patient",
}


@pytest.fixture
def everything(full_record, carer_only, shared_carer, admin_user, client):
    """Alice's full record, her session, an admin log line naming her; and the ids of
    every row about her, by model."""
    patient = full_record
    login(client, patient.user)
    client.get(reverse("patients:my_data_json"))  # an audit event of her own
    LogEntry.objects.log_actions(
        admin_user.pk, [patient], CHANGE, change_message="Changed time zone."
    )
    ids = {
        model: list(
            model.objects.filter(**{PATIENT_PATH.get(model, "patient"): patient.pk}).values_list(
                "pk", flat=True
            )
        )
        for model in PATIENT_DATA
    }
    return patient, ids


def test_erasing_leaves_nothing_of_the_patient_but_the_audit_trail(
    everything, carer_only, shared_carer, nurse, admin_user, other_patient, client
):
    patient, ids = everything
    user_id, ref = patient.user_id, audit.patient_ref(patient.pk)
    assert all(ids[model] for model in PATIENT_DATA), "every kind of record is there to erase"
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7")  # a carer's home
    request.user, request.carer = carer_only, patient.carers.get(user=carer_only)
    assert audit.record(request, "viewed", patient, obj=patient).ip == "198.51.100.7"
    trail_before = list(AuditEvent.objects.filter(patient_id=patient.pk).values_list("pk"))
    needles = [
        "Alice",
        "Morgan",
        "alice@example.org",
        patient.hospital_number,
        "Cassiopeia",
        "Vance",
        FREE_TEXT,
        QUESTION,
        ACTION_NOTE,
        RESOLUTION_NOTE,
    ]
    assert rows_naming(needles)  # the scan finds her while she is there
    login(client, admin_user)

    response = erase(client, patient)

    assert response.status_code == 302
    assert response.url == reverse("admin:patients_patient_changelist")
    for model in PATIENT_DATA:
        assert not model.objects.filter(pk__in=ids[model]).exists(), model
    assert not User.objects.filter(pk__in=[user_id, carer_only.pk]).exists()
    assert rows_naming(needles) == []
    assert rows_pointing_at(Patient, ids[Patient]) == []
    assert rows_pointing_at(User, [user_id, carer_only.pk]) == []
    assert not [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user_id)
    ]
    # The trail stays as it was, plus the erasure, all under her reference.
    trail = AuditEvent.objects.filter(patient_id=patient.pk)
    assert set(trail_before) < set(trail.values_list("pk"))
    erased = trail.get(action="erased")
    assert erased.patient_ref == ref and erased.actor_label == "admin"
    assert "patients.CheckIn 2" in erased.detail and "patients.Flag" in erased.detail
    assert not trail.exclude(pk=erased.pk).exclude(ip=None).exists()  # no address kept
    # Nobody else lost anything.
    assert Patient.objects.filter(pk=other_patient.pk).exists()
    assert User.objects.filter(pk=shared_carer.pk).exists()
    assert Carer.objects.filter(user=shared_carer).count() == 1  # the link to Carol
    assert User.objects.filter(pk=nurse.pk).exists()


def test_the_erased_patient_is_logged_out(everything, admin_user, client):
    patient, _ids = everything
    erase_patient(patient, admin_user)

    response = client.get(reverse("patients:home"))  # alice's session, from the fixture

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_confirmation_page_says_what_goes_and_what_stays(admin_client_, full_record):
    response = admin_client_.get(erase_url(full_record))

    assert response.status_code == 200
    text = response.text
    assert "<li>2 check ins</li>" in text and "<li>1 question</li>" in text
    assert "<li>2 users</li>" not in text and "<li>1 user</li>" in text
    assert audit.patient_ref(full_record.pk) in text
    assert Patient.objects.filter(pk=full_record.pk).exists()


def test_a_wrong_hospital_number_erases_nothing(admin_client_, full_record):
    response = erase(admin_client_, full_record, typed="H999")

    assert response.status_code == 400
    assert "Type the patient&#x27;s hospital number exactly" in response.text
    assert Patient.objects.filter(pk=full_record.pk).exists()
    assert not AuditEvent.objects.filter(action="erased").exists()


def test_the_action_takes_one_patient_at_a_time_to_the_confirmation(
    admin_client_, patient, other_patient
):
    changelist = reverse("admin:patients_patient_changelist")

    one = admin_client_.post(changelist, {"action": "erase", "_selected_action": [patient.pk]})
    two = admin_client_.post(
        changelist,
        {"action": "erase", "_selected_action": [patient.pk, other_patient.pk]},
        follow=True,
    )

    assert one.status_code == 302 and one.url == erase_url(patient)
    assert "Select one patient at a time to erase." in two.text
    assert Patient.objects.count() == 2


def test_the_admins_delete_leads_to_erasure_and_bulk_delete_is_gone(admin_client_, patient):
    response = admin_client_.get(reverse("admin:patients_patient_delete", args=[patient.pk]))
    changelist = admin_client_.get(reverse("admin:patients_patient_changelist"))

    assert response.status_code == 302 and response.url == erase_url(patient)
    assert 'value="delete_selected"' not in changelist.text
    assert 'value="erase"' in changelist.text


def test_staff_without_delete_permission_cannot_erase(client, patient):
    staff = UserFactory(username="clerk", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Patient),
            codename__in=["view_patient", "change_patient"],
        )
    )
    login(client, staff)

    assert client.get(erase_url(patient)).status_code == 403
    assert erase(client, patient).status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_an_account_that_is_also_staff_is_not_erased(admin_client_, patient):
    patient.user.is_staff = True
    patient.user.save()

    response = erase(admin_client_, patient)

    assert response.status_code == 400 and "also staff or on a care team" in response.text
    assert Patient.objects.filter(pk=patient.pk).exists()
    with pytest.raises(ErasureRefused):
        erase_patient(patient, None)


def test_a_failure_half_way_erases_nothing(full_record, admin_user, monkeypatch):
    from patients import privacy

    def broken(usernames):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(privacy, "_forget_logins", broken)
    check_ins = full_record.check_ins.count()

    with pytest.raises(RuntimeError):
        erase_patient(full_record, admin_user)

    assert Patient.objects.filter(pk=full_record.pk).exists()
    assert full_record.check_ins.count() == check_ins
    assert not AuditEvent.objects.filter(action="erased").exists()


def test_an_erased_patient_shows_in_the_trail_by_reference_only(admin_client_, patient, nurse):
    flag = flagged(patient, stools_per_day=9)
    audit.record(nurse, "viewed", patient, obj=flag)
    ref = audit.patient_ref(patient.pk)
    erase(admin_client_, patient)

    response = admin_client_.get(reverse("admin:patients_auditevent_changelist"))

    assert response.text.count(f"erased ({ref})") == 2
    assert "Alice" not in response.text and "Morgan" not in response.text
