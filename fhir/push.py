"""Push: the `fhir` alert channel, which sends an alert to the hospital record's FHIR
server as a transaction Bundle (README "Alert channels").

A contact with an "alert FHIR endpoint" (Contact.fhir_url, typed in like a webhook's
address) gets, when an alert reaches it, one POST to that base URL of a Bundle of
type transaction with the alert's records: the check-in's QuestionnaireResponse, a
DetectedIssue for each finding that alerted, the Flag of each finding's episode,
and the Communication of this notification. It goes through alerts' one HTTP client
(alerts/channels/http.py), so the webhook's rules hold: https, the address policy
checked on every send, OUTBOUND_TIMEOUT_SECONDS, no redirect followed, only the
status of the reply kept; 5xx, 408/409/425/429 and timeouts are retried on
alerts' backoff, any other 4xx is permanent and the alert falls through to the
contact's other channels and down the chain. It is signed as a webhook is
(X-Alert-Timestamp, X-Alert-Signature with the contact's secret) and carries the
Idempotency-Key of the notification.

Each entry is a conditional update, PUT `<type>?identifier=<system>|<id>`, the
identifier being the tracker's own (system: the resource type's URL on this API),
never a POST: delivery is at least once, and a retry after a lost reply must not
file a second copy in the record; a later alert of the same episode updates its
Flag (a new urgency, resolved) instead of adding one. The resources carry no `id`
(the record's server assigns its own); `fullUrl` is a urn:uuid made from the
tracker's URL of the resource (the same on every retry), and references between
entries use it, so the server links them to what it matched or created. The
patient is referred to by a conditional reference on the hospital number
(`Patient?identifier=<FHIR_PATIENT_IDENTIFIER_SYSTEM>|<number>`), which the record
resolves to its own patient; anything else (the team's Organization, an
Observation, a Practitioner) by its absolute URL on this API, which the record may
read with its token.
"""

import json
import time
import urllib.parse
import uuid

from django.conf import settings
from django.utils import timezone

from alerts.channels import Channel, ChannelError, Message, http
from alerts.channels.webhook import sign
from alerts.models import Notification

from . import builders, queries

WHAT = "FHIR endpoint"
CONTENT_TYPE = "application/fhir+json"


def _notification(notification_id: int) -> Notification:
    """The notification with what its Communication reads (fhir.queries)."""
    patient_id = (
        Notification.objects.filter(pk=notification_id)
        .values_list("alert__check_in__patient_id", flat=True)
        .get()
    )
    return queries.notifications_of([patient_id]).get(pk=notification_id)


def push_resources(notification, *, now=None) -> list[dict]:
    """The alert's records, as the API would serve them: the QuestionnaireResponse,
    the DetectedIssues of its alerting findings, their episodes' Flags, and this
    notification's Communication (completed now: the record has it once the
    transaction succeeds)."""
    check_in = notification.alert.check_in
    patient = check_in.patient
    alerting = [f for f in check_in.flags.all() if f.alerted]
    flag_ids = [f.pk for f in alerting]
    episode_ids = sorted({f.episode_id for f in alerting})
    response = builders.questionnaire_response_resource(
        queries.check_ins_of(patient).get(pk=check_in.pk)
    )
    issues = [
        builders.detected_issue_resource(f)
        for f in queries.flags_of(patient).filter(pk__in=flag_ids)
    ]
    flags = [
        builders.flag_resource(e) for e in queries.episodes_of(patient).filter(pk__in=episode_ids)
    ]
    communication = builders.communication_resource(notification)
    communication["status"] = "completed"
    communication["sent"] = builders.instant(now or timezone.now())
    return [response, *issues, *flags, communication]


def _full_url(kind: str, pk: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{builders.base_url()}/{kind}/{pk}"))


def _identifier_system(kind: str) -> str:
    return f"{builders.base_url()}/{kind}"


def _rewrite(value, local: dict[str, str], patient: str):
    """Every `reference` under `value`: to an entry's fullUrl, the patient's
    conditional reference, or this API's absolute URL; contained (#) ones kept.
    Empty arrays and objects are dropped."""
    if isinstance(value, list):
        return [_rewrite(v, local, patient) for v in value]
    if not isinstance(value, dict):
        return value
    # An empty array or object is not valid FHIR JSON, which a strict server refuses
    # (the API's builders leave a webhook's or push's contact with `telecom: []`).
    rewritten = {
        k: v
        for k, v in ((k, _rewrite(v, local, patient)) for k, v in value.items())
        if v != [] and v != {}
    }
    reference = value.get("reference")
    if isinstance(reference, str) and not reference.startswith("#"):
        if reference in local:
            rewritten["reference"] = local[reference]
        elif reference.startswith("Patient/"):
            rewritten["reference"] = patient
        else:
            rewritten["reference"] = f"{builders.base_url()}/{reference}"
    return rewritten


def push_bundle(notification_id: int, *, now=None) -> dict:
    """The transaction Bundle of one notification (see the module's notes)."""
    notification = _notification(notification_id)
    resources = push_resources(notification, now=now)
    hospital_number = notification.alert.check_in.patient.hospital_number
    patient = "Patient?" + urllib.parse.urlencode(
        {"identifier": f"{settings.FHIR_PATIENT_IDENTIFIER_SYSTEM}|{hospital_number}"}
    )
    local = {
        f"{r['resourceType']}/{r['id']}": _full_url(r["resourceType"], r["id"]) for r in resources
    }
    entries = []
    for resource in resources:
        kind, pk = resource["resourceType"], resource["id"]
        identifier = {"system": _identifier_system(kind), "value": pk}
        body = {k: v for k, v in resource.items() if k != "id"}
        # QuestionnaireResponse.identifier is a single Identifier; the others a list.
        body["identifier"] = identifier if kind == "QuestionnaireResponse" else [identifier]
        body = _rewrite(body, local, patient)
        search = urllib.parse.urlencode({"identifier": f"{identifier['system']}|{pk}"})
        entries.append(
            {
                "fullUrl": local[f"{kind}/{pk}"],
                "resource": body,
                "request": {"method": "PUT", "url": f"{kind}?{search}"},
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "timestamp": builders.instant(now or timezone.now()),
        "entry": entries,
    }


class FhirChannel(Channel):
    """POSTs the alert's transaction Bundle to the contact's FHIR endpoint (the
    server's base URL). A 2xx is delivered; see the module for the rest."""

    def __init__(self, secret: str):
        self.secret = secret

    def deliver(self, address: str, message: Message, *, idempotency_key: str) -> None:
        if message.notification_id is None:
            raise ChannelError(f"{WHAT}: no notification to send", permanent=True)
        body = json.dumps(push_bundle(message.notification_id), separators=(",", ":")).encode()
        timestamp = int(time.time())
        response = http.post(
            address,
            what=WHAT,
            body=body,
            headers={
                "Content-Type": CONTENT_TYPE,
                "Accept": CONTENT_TYPE,
                "Prefer": "return=minimal",
                "X-Alert-Timestamp": str(timestamp),
                "X-Alert-Signature": sign(self.secret, timestamp, body),
                "Idempotency-Key": idempotency_key,
            },
        )
        http.raise_for_status(response, WHAT)


def fhir_channel(contact) -> Channel:
    """alerts' registry entry for "fhir" (registered by fhir.apps)."""
    return FhirChannel(contact.webhook_secret)
