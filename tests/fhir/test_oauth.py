"""OAuth for record systems (fhir/oauth.py, fhir/auth.py): client credentials only,
read scopes only, 5-minute tokens kept as hashes; revoked clients and expired tokens
see nothing; the session plays no part."""
# ruff: noqa: F811 (the fixtures `epr` and `token` are imported from .api)

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as PlainClient
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from fhir.models import ClientAccess
from fhir.oauth import create_client, revoke_client

from ..conftest import login
from .api import ask_token, basic, epr, get, ok, outcome, token, token_for  # noqa: F401

pytestmark = pytest.mark.django_db


def test_it_gives_a_five_minute_read_token_for_client_credentials(client, epr, settings):
    response = ask_token(client, *epr)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.FHIR_TOKEN_SECONDS == 300
    assert body["scope"] == "system/*.read"
    assert "refresh_token" not in body


def test_the_secret_and_the_token_are_kept_only_as_hashes(client, epr):
    access, secret = epr
    issued = token_for(client, access, secret)
    application = Application.objects.get(pk=access.application_id)
    assert secret not in application.client_secret
    stored = AccessToken.objects.get(application=application)
    assert stored.token == ""  # the checksum finds it
    assert issued not in repr(AccessToken.objects.values_list())


def test_the_secret_is_needed(client, epr):
    access, _secret = epr
    response = ask_token(client, access, "not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


def test_it_refuses_other_grants(client, epr, patient):
    access, secret = epr
    for grant in ("password", "authorization_code", "refresh_token", "implicit"):
        response = ask_token(
            client, access, secret, grant_type=grant, username="alice", password="x", code="x"
        )
        assert response.status_code in (400, 401), grant
    assert not AccessToken.objects.exists()


def test_it_gives_read_scopes_only_and_only_those_granted(client, team):
    access, secret = create_client(name="Labs", teams=[team], scopes="system/Patient.read")
    assert ask_token(client, access, secret, scope="system/*.write").status_code == 400
    assert ask_token(client, access, secret, scope="system/Flag.read").status_code == 400
    assert ask_token(client, access, secret, scope="system/Patient.read").status_code == 200
    with pytest.raises(ValueError):
        create_client(name="Writer", teams=[team], scopes="system/*.write")


def test_a_token_reads_only_the_types_of_its_scope(client, team, patient):
    access, secret = create_client(name="Labs", teams=[team], scopes="system/Patient.read")
    token = token_for(client, access, secret, scope="system/Patient.read")
    ok(get(client, token, f"Patient/{patient.pk}"))
    response = get(client, token, "Flag", patient=patient.pk)
    outcome(response, 403)
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_no_token_is_a_401_with_a_challenge(client, patient):
    response = get(client, None, f"Patient/{patient.pk}")
    outcome(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="fhir"'


def test_an_unknown_token_is_a_401(client, patient):
    response = get(client, "made-up", f"Patient/{patient.pk}")
    outcome(response, 401)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    response = client.get(f"/fhir/r4/Patient/{patient.pk}", HTTP_AUTHORIZATION="Basic eA==")
    outcome(response, 401)


def test_an_expired_token_sees_nothing(client, epr, patient):
    token = token_for(client, *epr)
    ok(get(client, token, f"Patient/{patient.pk}"))
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=301)):
        response = get(client, token, f"Patient/{patient.pk}")
    body = outcome(response, 401)
    assert "expired" in body["issue"][0]["diagnostics"]
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_revoked_client_sees_nothing_at_once_and_gets_no_new_token(client, epr, patient):
    access, secret = epr
    token = token_for(client, access, secret)
    revoke_client(access)
    outcome(get(client, token, f"Patient/{patient.pk}"), 401)
    outcome(get(client, token, "Patient"), 401)
    assert ask_token(client, access, secret).status_code == 401
    assert not AccessToken.objects.filter(application_id=access.application_id).exists()


def test_a_token_of_a_client_revoked_behind_its_back_stops_too(client, epr, patient):
    """Revoked by another path than revoke_client (a row changed): the token is refused
    on the revocation alone."""
    access, secret = epr
    token = token_for(client, access, secret)
    ClientAccess.objects.filter(pk=access.pk).update(revoked_at=timezone.now())
    outcome(get(client, token, f"Patient/{patient.pk}"), 401)


def test_an_oauth_application_without_client_access_is_no_client(client, team):
    application = Application.objects.create(
        name="Stray",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret="s3cret-s3cret",
    )
    response = client.post(
        "/fhir/auth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(application.client_id, "s3cret-s3cret"),
    )
    assert response.status_code == 401


def test_a_session_is_no_access_and_the_second_factor_does_not_interfere(client, nurse, patient):
    """A nurse logged in (second factor and all) reads nothing of the API with her
    session; a token request from a browser with a half-finished login is still
    answered, not sent to the second-factor page, and needs no CSRF token."""
    login(client, nurse)
    outcome(get(client, None, f"Patient/{patient.pk}"), 401)
    half = PlainClient(enforce_csrf_checks=True)
    half.force_login(nurse)  # her password only: every page sends her to the second factor
    assert half.get("/triage/").status_code == 302
    access, secret = create_client(name="EPR", teams=[patient.care_team])
    response = half.post(
        "/fhir/auth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(access.application.client_id, secret),
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    ok(half.get(f"/fhir/r4/Patient/{patient.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_the_api_is_read_only(client, token, patient):
    response = client.post(
        f"/fhir/r4/Patient/{patient.pk}", {}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    outcome(response, 405)
    response = client.delete(f"/fhir/r4/Patient/{patient.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    outcome(response, 405)


def test_the_command_makes_a_client_that_gets_a_token(client, team, capsys):
    call_command("fhir_client", "--name", "Epic EPR", "--team", team.name)
    out = capsys.readouterr().out
    client_id = out.split("client_id=")[1].split()[0]
    secret = out.split("client_secret=")[1].split()[0]
    access = ClientAccess.objects.get(application__client_id=client_id)
    assert list(access.teams.all()) == [team]
    assert ask_token(client, access, secret).status_code == 200
    call_command("fhir_client", "--revoke", client_id)
    assert ask_token(client, access, secret).status_code == 401


def test_the_command_refuses_an_unknown_team(team):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No care team"):
        call_command("fhir_client", "--name", "X", "--team", "Nowhere")


def test_an_admin_makes_a_client_sees_the_secret_once_and_revokes_it(
    client, admin_user, team, other_team
):
    login(client, admin_user)
    response = client.post(
        "/admin/fhir/clientaccess/add/",
        {"name": "Epic EPR", "teams": [team.pk], "scopes": "system/*.read"},
    )
    assert response.status_code == 200
    access = ClientAccess.objects.get()
    secret = response.context["secret"]
    assert secret.encode() in response.content
    assert list(access.teams.all()) == [team]
    assert access.created_by == admin_user
    # Shown once: not on the client's own page.
    page = client.get(f"/admin/fhir/clientaccess/{access.pk}/change/")
    assert page.status_code == 200 and secret.encode() not in page.content
    api = PlainClient()
    token = token_for(api, access, secret)
    response = client.post(
        "/admin/fhir/clientaccess/",
        {"action": "revoke", "_selected_action": [access.pk]},
    )
    assert response.status_code == 302
    access.refresh_from_db()
    assert access.revoked_at is not None
    outcome(get(api, token, "Patient"), 401)
    assert ask_token(api, access, secret).status_code == 401


def test_an_admin_cannot_give_a_write_scope(client, admin_user, team):
    login(client, admin_user)
    response = client.post(
        "/admin/fhir/clientaccess/add/",
        {"name": "Writer", "teams": [team.pk], "scopes": "system/*.write"},
    )
    assert response.status_code == 200
    assert not ClientAccess.objects.exists()
