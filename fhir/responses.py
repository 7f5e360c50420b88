"""What the API answers: FHIR JSON (`application/fhir+json`), and an OperationOutcome
for every error, raised as `ApiError` anywhere below a view."""

import json

from django.http import HttpResponse

CONTENT_TYPE = "application/fhir+json"


class ApiError(Exception):
    """An error the client is told of as an OperationOutcome: the HTTP status, the
    issue's code (http://hl7.org/fhir/issue-type) and what went wrong, in words."""

    def __init__(self, status: int, code: str, diagnostics: str, *, headers=None):
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics
        self.headers = headers or {}


def fhir_response(resource: dict, status: int = 200, headers=None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(resource, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type=CONTENT_TYPE,
    )
    # Health records: never cached by a proxy or the client's cache.
    response["Cache-Control"] = "no-store, private"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def operation_outcome(code: str, diagnostics: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }


def error_response(error: ApiError) -> HttpResponse:
    return fhir_response(
        operation_outcome(error.code, error.diagnostics), error.status, error.headers
    )


def not_found(kind: str, pk) -> ApiError:
    """The same for a record that does not exist and one the client may not read, so
    that ids cannot be probed."""
    return ApiError(404, "not-found", f"{kind}/{str(pk)[:64]} is not known")
