"""Helpers for the API tests: a record system's client for some teams, its token, and
requests that carry it."""

import base64

import pytest

from fhir.oauth import create_client
from fhir.scopes import ALL_READ
from fhir.validation import validate

TOKEN_URL = "/fhir/auth/token"
BASE = "/fhir/r4"


def basic(client_id, secret) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def ask_token(client, access, secret, **data):
    data = {"grant_type": "client_credentials", **data}
    return client.post(
        TOKEN_URL, data, HTTP_AUTHORIZATION=basic(access.application.client_id, secret)
    )


def token_for(client, access, secret, **data) -> str:
    response = ask_token(client, access, secret, **data)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def get(client, token, path, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    url = path if path.startswith("http") or path.startswith("/") else f"{BASE}/{path}"
    return client.get(url, params, **headers)


def ok(response) -> dict:
    """A 200 in FHIR JSON, validated against R4 (fhir.validation)."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    return validate(response.json())


def outcome(response, status: int) -> dict:
    """An error of `status`, as a valid OperationOutcome."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = validate(response.json())
    assert body["resourceType"] == "OperationOutcome"
    return body


def ids(bundle) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def next_link(bundle) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)


@pytest.fixture
def epr(team):
    """The record system of alice's team: (access, secret)."""
    return create_client(name="Epic EPR", teams=[team], scopes=ALL_READ)


@pytest.fixture
def token(client, epr):
    return token_for(client, *epr)
