"""What the API says of itself: its CapabilityStatement (`metadata`) and SMART's
discovery document. Both tell only what is implemented: read by id for the types
below, the searches and parameters of fhir/search.py, Patient/$everything, JSON,
client-credentials OAuth with read scopes."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from . import codes
from .builders import instant
from .scopes import READ_TYPES, SCOPES
from .search import PARAMETERS

# The types read by id only: every type a scope may name but those with searches.
READ_ONLY = tuple(kind for kind in READ_TYPES if kind not in PARAMETERS)
SEARCH_TYPES = {
    "identifier": "token",
    "patient": "reference",
    "authored": "date",
    "date": "date",
    "code": "token",
    "status": "token",
}
SEARCH_DOCS = {
    "identifier": "The hospital number: system|value, |value or value",
    "patient": "The patient: id or Patient/id (comma for any of several)",
    "authored": "When the check-in was sent: eq, ge, le, gt, lt with a date or dateTime",
    "date": "When the check-in was sent: eq, ge, le, gt, lt with a date or dateTime",
    "code": "The item's code: system|code or code (the tracker's own, SNOMED CT, LOINC)",
    "status": "active (open or acknowledged) or inactive (resolved)",
}
SMART_SECURITY = "http://fhir-registry.smarthealthit.org/CodeSystem/capabilities"


def token_url(request) -> str:
    return request.build_absolute_uri(reverse("fhir:token"))


def _resource(kind: str) -> dict:
    resource = {
        "type": kind,
        "interaction": [{"code": "read"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
    }
    if kind in PARAMETERS:
        resource["interaction"].append({"code": "search-type"})
        resource["searchParam"] = [
            {"name": name, "type": SEARCH_TYPES[name], "documentation": SEARCH_DOCS[name]}
            for name in sorted(PARAMETERS[kind])
        ]
    if kind == "Group":
        resource["operation"] = [
            {
                "name": "export",
                "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export",
                "documentation": "A care team's patients as NDJSON files (Bulk Data "
                "Access: Prefer: respond-async; _type, _since); the Group's id is the team's",
            }
        ]
    if kind == "Patient":
        resource["operation"] = [
            {
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                "documentation": "Every resource about the patient, in one Bundle "
                "(no parameters, not paged)",
            }
        ]
    return resource


def capability_statement(base: str, request) -> dict:
    kinds = [*PARAMETERS, *READ_ONLY]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(timezone.now()),
        "publisher": "Symptom tracker",
        "kind": "instance",
        "software": {"name": "Symptom tracker", "version": codes.VERSION},
        "implementation": {"description": "Symptom tracker FHIR R4 read API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read only. Searches are newest first, _count a page (at "
                "most 200, default 50) with a next link (_cursor, keyset); an unknown "
                "parameter is refused (400).",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": token_url(request)}],
                        }
                    ],
                    "description": "OAuth 2.0 client credentials (client id and secret) "
                    "at the token URL; bearer tokens with read scopes "
                    "(system/*.read, system/<type>.read), "
                    f"valid {settings.FHIR_TOKEN_SECONDS} seconds.",
                },
                "resource": [_resource(kind) for kind in kinds],
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                        "documentation": "Bulk Data Access: the client's teams' patients as "
                        "NDJSON files, one a type (Prefer: respond-async; _type, _since); "
                        f"files kept {settings.FHIR_EXPORT_TTL_HOURS} hours",
                    }
                ],
            }
        ],
    }


def smart_configuration_document(request) -> dict:
    """/.well-known/smart-configuration: what a SMART Backend Services client reads
    first. Only a shared secret is supported, not the signed JWT assertion."""
    return {
        "token_endpoint": token_url(request),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(SCOPES),
        "capabilities": ["client-confidential-symmetric"],
    }
