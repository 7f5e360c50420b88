"""The API's reads in the audit trail (patients.audit): one "viewed" row with the role
"system" for each patient a response showed (or one with no patient when it showed
none), in one statement.

The actor is the client: no user, its name as the row's label (a record system's
name, never a person's), its client id in `detail` with what was read: the
resource's type and id, or for a search its parameters' names and how many were
shown; an identifier searched for (a hospital number) only as its pseudonym
(`term_ref`), as the admin's searches are kept.
"""

from base.client_address import client_address
from patients.audit import patient_ref
from patients.models import AuditEvent


def record_reads(request, patient_ids, *, model, detail: str, object_id: str = ""):
    client = request.client
    ids = list(dict.fromkeys(p for p in patient_ids if p is not None)) or [None]
    common = {
        "actor_id": None,
        "actor_label": f"API client {client.name}"[:150],
        "actor_role": "system",
        "action": "viewed",
        "object_type": model._meta.label_lower if model is not None else "",
        "object_id": object_id[:64],
        "detail": f"FHIR {detail} (client {client.client_id})"[:300],
        "ip": client_address(request),
    }
    return AuditEvent.objects.bulk_create(
        AuditEvent(patient_id=pk, patient_ref=patient_ref(pk) if pk else "", **common) for pk in ids
    )
