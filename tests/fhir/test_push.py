"""The `fhir` alert channel: a transaction Bundle (validated as R4) POSTed to the
contact's FHIR endpoint through alerts' HTTP client; retried on 5xx and timeouts,
a 4xx permanent (the alert falls through to the next contact), no redirect
followed. Only the HTTP edge is replaced, as in tests/alerts/test_channels.py."""

import json
import urllib.parse

import pytest
from django.conf import settings

from alerts.channels import CHANNELS, channel_for, http
from alerts.channels.webhook import verify_signature
from alerts.models import Alert, Notification
from alerts.services import delivery
from fhir.push import FhirChannel, push_bundle
from fhir.validation import validate
from patients.models import BrokenChannel

from ..alerts.test_channels import SOON, FakeProvider, only, red_alert

pytestmark = pytest.mark.django_db

ENDPOINT = "https://ehr.example.test/fhir/R4"


@pytest.fixture
def provider(monkeypatch):
    fake = FakeProvider()
    monkeypatch.setattr(http, "post", fake)
    return fake


@pytest.fixture
def record_contact(team):
    """The weekday nurse, whose alerts go only to the record's FHIR server."""
    nurse = team.contacts_by_role["nurse"]
    nurse.email, nurse.sms_number, nurse.fhir_url = "", "", ENDPOINT
    nurse.save()
    return nurse


def pushed(provider) -> dict:
    return json.loads(provider.calls[-1]["body"])


def test_the_channel_is_registered_by_the_fhir_app_and_alerts_does_not_import_it(record_contact):
    assert isinstance(channel_for("fhir", record_contact), FhirChannel)
    assert CHANNELS["fhir"].__module__ == "fhir.push"


def test_an_alert_is_posted_as_a_valid_transaction_bundle(patient, record_contact, provider):
    alert = red_alert(patient)
    push = only(alert, "fhir")
    assert push.address == ENDPOINT

    delivery.deliver_notification(push.pk, now=SOON)

    push.refresh_from_db()
    assert push.status == "sent" and push.attempts == 1
    call = provider.calls[0]
    assert call["url"] == ENDPOINT and call["what"] == "FHIR endpoint"
    headers, body = call["headers"], call["body"]
    assert headers["Content-Type"] == "application/fhir+json"
    assert headers["Idempotency-Key"] == f"notification-{push.pk}"
    assert verify_signature(
        record_contact.webhook_secret,
        headers["X-Alert-Timestamp"],
        body,
        headers["X-Alert-Signature"],
    )
    bundle = validate(json.loads(body))
    assert bundle["type"] == "transaction"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["QuestionnaireResponse", "DetectedIssue", "Flag", "Communication"]
    for entry in bundle["entry"]:
        validate(entry["resource"])
        kind = entry["resource"]["resourceType"]
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert entry["request"]["method"] == "PUT"
        assert entry["request"]["url"].startswith(f"{kind}?identifier=")
        assert "id" not in entry["resource"]
    communication = bundle["entry"][-1]["resource"]
    assert communication["status"] == "completed" and "sent" in communication
    assert communication["medium"][0]["coding"][0]["code"] == "fhir"


def test_references_point_inside_the_bundle_at_the_patient_by_number_or_at_the_api(
    patient, record_contact, provider
):
    push = only(red_alert(patient), "fhir")
    bundle = push_bundle(push.pk)
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    by_kind = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    patient_ref = "Patient?" + urllib.parse.urlencode(
        {"identifier": f"{settings.FHIR_PATIENT_IDENTIFIER_SYSTEM}|{patient.hospital_number}"}
    )

    issue = by_kind["DetectedIssue"]
    assert issue["patient"]["reference"] == patient_ref
    assert by_kind["Flag"]["subject"]["reference"] == patient_ref
    assert by_kind["QuestionnaireResponse"]["subject"]["reference"] == patient_ref
    implicated = [r["reference"] for r in issue["implicated"]]
    assert implicated[0] in full_urls  # the QuestionnaireResponse of the same Bundle
    assert implicated[1].startswith("http://") and "/fhir/r4/Observation/" in implicated[1]
    about = by_kind["Communication"]["about"][0]["reference"]
    assert about in full_urls  # the DetectedIssue
    assert by_kind["Communication"]["recipient"][0]["reference"] == "#recipient"
    assert "[]" not in json.dumps(bundle) and "{}" not in json.dumps(bundle)
    assert by_kind["Flag"]["author"]["reference"].endswith(
        f"/fhir/r4/Organization/{patient.care_team_id}"
    )


def test_a_retry_sends_the_same_entries_so_the_record_files_them_once(
    patient, record_contact, provider
):
    push = only(red_alert(patient), "fhir")
    first, second = push_bundle(push.pk), push_bundle(push.pk)
    assert [(e["fullUrl"], e["request"]) for e in first["entry"]] == [
        (e["fullUrl"], e["request"]) for e in second["entry"]
    ]


@pytest.mark.parametrize("reply", [500, 503, 429, 409, http.ChannelError("FHIR endpoint: timeout")])
def test_a_server_error_or_a_timeout_is_retried_with_backoff(
    patient, record_contact, provider, reply
):
    provider.replies = [reply]
    push = only(red_alert(patient), "fhir")

    delay = delivery.deliver_notification(push.pk, now=SOON)

    push.refresh_from_db()
    assert delay == delivery.DELIVERY_BACKOFF[0]
    assert push.status == "queued" and push.not_before > SOON
    assert not BrokenChannel.objects.exists()
    delivery.deliver_notification(push.pk, now=push.not_before)
    push.refresh_from_db()
    assert push.status == "sent" and push.attempts == 2


@pytest.mark.parametrize("reply", [400, 404, 412, 422])
def test_a_4xx_is_permanent_and_the_alert_falls_through_to_the_next_contact(
    patient, team, record_contact, provider, reply
):
    provider.replies = [reply]
    alert = red_alert(patient)
    push = only(alert, "fhir")

    delivery.deliver_notification(push.pk, now=SOON)

    push.refresh_from_db()
    assert push.status == "failed" and push.last_error == f"FHIR endpoint: HTTP {reply}"
    assert BrokenChannel.objects.get(contact=record_contact).channel == "fhir"
    alert = Alert.objects.get(pk=alert.pk)
    line = team.contacts_by_role["line"]
    assert alert.contact == line
    assert sorted(
        Notification.objects.filter(alert=alert, contact=line).values_list("channel", flat=True)
    ) == [
        "email",
        "sms",
    ]


@pytest.mark.parametrize("reply", [301, 302, 307, 308])
def test_a_redirect_is_refused_and_never_followed(patient, record_contact, provider, reply):
    provider.replies = [reply]
    push = only(red_alert(patient), "fhir")

    delivery.deliver_notification(push.pk, now=SOON)

    push.refresh_from_db()
    assert push.status == "failed" and push.last_error == "FHIR endpoint: redirect refused"
    assert len(provider.calls) == 1


def test_a_private_address_is_refused_before_any_connection(patient, record_contact, monkeypatch):
    """The real HTTP client (not replaced): the address policy holds for the push too."""
    Contact = type(record_contact)
    Contact.objects.filter(pk=record_contact.pk).update(fhir_url="https://127.0.0.1/fhir")
    push = only(red_alert(patient), "fhir")

    delivery.deliver_notification(push.pk, now=SOON)

    push.refresh_from_db()
    assert push.status == "failed" and push.last_error == "FHIR endpoint: address not allowed"


def test_the_contact_editor_and_admin_refuse_a_private_fhir_endpoint(record_contact):
    from django.core.exceptions import ValidationError

    field = type(record_contact)._meta.get_field("fhir_url").formfield()
    with pytest.raises(ValidationError):
        field.clean("https://10.0.0.1/fhir")
    record_contact.fhir_url = "http://ehr.example.org/fhir"
    with pytest.raises(ValidationError, match="https"):
        record_contact.full_clean()
