"""The one HTTP client of the SMS and webhook channels (alerts/channels/http.py),
against real servers on 127.0.0.1: it follows no redirect, gives up after a timeout,
checks the address it connects to when it sends, and keeps nothing of a reply but
its status code. Only name resolution is replaced, where a test needs a host name."""

import json
import socket
import ssl
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from shutil import which

import pytest

from alerts.channels import ChannelError, Message, http
from alerts.channels.sms import HttpSmsChannel
from alerts.channels.webhook import WebhookChannel
from alerts.models import Alert, DeliveryAttempt, Notification
from alerts.services import delivery, flagging
from patients.models import BrokenChannel

from ..factories import make_check_in
from ..test_settings import ROOT, start_env

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SOON = TUESDAY_10 + timedelta(minutes=1)
SECRET = "INTERNAL-ONLY-7f3a"  # what a server on the hospital's network must not leak back


class LocalServer:
    """An HTTP server in a thread on 127.0.0.1 that records each request and answers
    with `answer(path)`: (status, headers); its body and headers carry SECRET."""

    def __init__(self, answer=lambda path: (200, {}), tls: ssl.SSLContext | None = None):
        self.requests = []
        self.answer = answer
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length),
                    }
                )
                status, headers = server.answer(self.path)
                if status == "hang":
                    server.release.wait(10)
                    status, headers = 200, {}
                reply = f'{{"error": "{SECRET}", "admin": "https://10.1.2.3/{SECRET}"}}'.encode()
                self.send_response(status)
                for name, value in {"X-Internal": SECRET, **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = _record

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path="/hook", *, host="127.0.0.1", scheme="http"):
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    started = []

    def start(answer=lambda path: (200, {}), tls=None):
        server = LocalServer(answer, tls)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def local_allowed(settings):
    """The development settings that let a delivery reach a server on this machine."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.OUTBOUND_ALLOW_HTTP = True
    return settings


MESSAGE = Message(subject="", body="", short="Symptom tracker: RED alert.", data={"event": "alert"})


def webhook(url):
    WebhookChannel("s3cret").deliver(url, MESSAGE, idempotency_key="notification-1")


def refused(excinfo) -> tuple[str, bool]:
    return str(excinfo.value), excinfo.value.permanent


# No redirect is followed -----------------------------------------------------------


def test_it_follows_no_redirect_and_the_signature_never_reaches_its_target(serve, local_allowed):
    internal = serve()
    redirecting = serve(
        lambda path: (302, {"Location": internal.url("/internal-admin")}),
    )

    with pytest.raises(ChannelError) as excinfo:
        try:
            webhook(redirecting.url("/r/abc"))
        finally:
            assert [(r["path"], r["headers"]) for r in internal.requests] == []

    assert refused(excinfo) == ("webhook: redirect refused", True)
    assert [r["path"] for r in redirecting.requests] == ["/r/abc"]
    assert "x-alert-signature" in redirecting.requests[0]["headers"]


@pytest.mark.parametrize("status", [301, 303, 307, 308])
def test_every_kind_of_redirect_is_refused(serve, local_allowed, status):
    internal = serve()
    redirecting = serve(lambda path: (status, {"Location": internal.url("/x")}))

    with pytest.raises(ChannelError) as excinfo:
        webhook(redirecting.url())

    assert refused(excinfo) == ("webhook: redirect refused", True)
    assert internal.requests == []


def test_the_sms_provider_is_not_followed_either(serve, settings):
    internal = serve()
    provider = serve(lambda path: (302, {"Location": internal.url("/internal-admin")}))
    settings.SMS_API_URL = provider.url("/sms")
    settings.OUTBOUND_ALLOW_HTTP = True
    settings.SMS_ACCOUNT, settings.SMS_TOKEN, settings.SMS_FROM = "AC1", "tok", "+447700900000"

    with pytest.raises(ChannelError) as excinfo:
        HttpSmsChannel().deliver("+447700900101", MESSAGE, idempotency_key="n-1")

    assert refused(excinfo) == ("SMS provider: redirect refused", True)
    assert internal.requests == []
    assert "authorization" in provider.requests[0]["headers"]


# The address is checked when the call is made --------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",  # a host name that resolves to loopback
        "[::1]",
        "[::ffff:127.0.0.1]",  # loopback written as an IPv4-mapped IPv6 address
        "0.0.0.0",  # noqa: S104 (unspecified: reaches this machine)
    ],
)
def test_loopback_is_refused_without_the_setting_and_nothing_is_sent(serve, settings, host):
    server = serve()
    settings.OUTBOUND_ALLOW_HTTP = True  # so that the address is what is refused

    with pytest.raises(ChannelError) as excinfo:
        webhook(server.url(host=host))

    assert refused(excinfo) == ("webhook: address not allowed", True)
    assert server.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # cloud metadata
        "fd00:ec2::254",  # cloud metadata, IPv6
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "fc00::1",  # unique local
        "169.254.10.1",  # link-local
        "fe80::1",
        "100.64.0.1",  # carrier-grade NAT
        "224.0.0.1",  # multicast
        "ff02::1",
        "240.0.0.1",  # reserved
        "::",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    ],
)
def test_private_link_local_metadata_and_reserved_addresses_are_refused(
    settings, monkeypatch, address
):
    connected = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    settings.OUTBOUND_ALLOW_HTTP = True

    host = f"[{address}]" if ":" in address else address

    with pytest.raises(ChannelError) as excinfo:
        webhook(f"https://{host}/latest/meta-data")

    assert refused(excinfo) == ("webhook: address not allowed", True)
    assert connected == []


def test_a_host_name_is_refused_when_any_of_its_addresses_is_not_allowed(monkeypatch):
    connected = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    monkeypatch.setattr(
        http, "resolve", lambda host, port: ["93.184.215.14", "10.0.0.7"], raising=False
    )

    with pytest.raises(ChannelError) as excinfo:
        webhook("https://hooks.example.org/x")

    assert refused(excinfo) == ("webhook: address not allowed", True)
    assert connected == []


def test_a_network_listed_in_the_setting_is_allowed(serve, local_allowed):
    server = serve()

    webhook(server.url("/pager?team=1"))

    assert server.requests[0]["path"] == "/pager?team=1"
    assert server.requests[0]["method"] == "POST"


def test_plain_http_is_refused_unless_the_setting_allows_it(serve, settings):
    server = serve()
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.OUTBOUND_ALLOW_HTTP = False

    with pytest.raises(ChannelError) as excinfo:
        webhook(server.url())

    assert refused(excinfo) == ("webhook: https only", True)
    assert server.requests == []


@pytest.mark.parametrize("url", ["ftp://{host}/x", "https:///x", "https://{host}/a b"])
def test_an_address_that_is_not_a_web_address_is_refused(serve, local_allowed, url):
    server = serve()

    with pytest.raises(ChannelError) as excinfo:
        webhook(url.format(host=f"127.0.0.1:{server.port}"))

    assert excinfo.value.permanent and server.requests == []


def test_it_connects_to_the_address_it_checked(serve, local_allowed, monkeypatch):
    """DNS rebinding: a name that answers an allowed address to the check and another
    to a second look-up. There is no second look-up: the checked address is used."""
    server = serve()
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.2"])

    def rebinding(host, port, *args, **kwargs):
        if host == "hook.test":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    webhook(server.url(host="hook.test"))

    assert len(server.requests) == 1
    assert server.requests[0]["headers"]["host"] == f"hook.test:{server.port}"


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(serve, tmp_path, monkeypatch, local_allowed):
    """An https server for hook.test on 127.0.0.1, its certificate the only one trusted;
    hook.test and other.test resolve to 127.0.0.1."""
    if not which("openssl"):
        pytest.skip("openssl is needed to make a certificate")
    cert, key = _certificate(tmp_path, "hook.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setattr(
        http,
        "resolve",
        lambda host, port: ["127.0.0.1"] if host.endswith(".test") else [],
        raising=False,
    )
    local_allowed.OUTBOUND_ALLOW_HTTP = False
    return serve(tls=context)


def test_https_to_the_checked_address_still_verifies_the_host_name(tls_server):
    webhook(tls_server.url(scheme="https", host="hook.test"))

    assert tls_server.requests[0]["headers"]["host"] == f"hook.test:{tls_server.port}"


def test_a_certificate_for_another_name_is_refused(tls_server):
    with pytest.raises(ChannelError) as excinfo:
        webhook(tls_server.url(scheme="https", host="other.test"))

    assert str(excinfo.value) == "webhook: TLS certificate refused"
    assert tls_server.requests == []


# A timeout --------------------------------------------------------------------------


def test_a_server_that_does_not_answer_times_out_and_is_retried_later(serve, local_allowed):
    local_allowed.OUTBOUND_TIMEOUT_SECONDS = 0.5
    server = serve(lambda path: ("hang", {}))

    with pytest.raises(ChannelError) as excinfo:
        webhook(server.url())

    assert refused(excinfo) == ("webhook: timeout", False)


# Nothing of a reply is kept ---------------------------------------------------------


def red_alert(patient):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    return Alert.objects.get(check_in=check_in)


def stored_text() -> str:
    """Everything the app keeps of a delivery's outcome, and the contact's status."""
    rows = [
        *DeliveryAttempt.objects.values_list("error", flat=True),
        *Notification.objects.values_list("last_error", flat=True),
        *BrokenChannel.objects.values_list("error", flat=True),
    ]
    return json.dumps(rows)


@pytest.mark.parametrize("status", [404, 500, 302])
def test_nothing_of_a_webhook_reply_is_stored(patient, team, serve, local_allowed, status):
    server = serve(lambda path: (status, {"Location": "http://127.0.0.1:1/internal-admin"}))
    nurse = team.contacts_by_role["nurse"]
    nurse.webhook_url = server.url("/hooks/oncology")
    nurse.save()
    hook = Notification.objects.get(alert=red_alert(patient), channel="webhook")

    delivery.deliver_notification(hook.pk, now=SOON)

    assert len(server.requests) == 1
    expected = "webhook: redirect refused" if status == 302 else f"webhook: HTTP {status}"
    assert DeliveryAttempt.objects.get(notification=hook).error == expected
    assert SECRET not in stored_text()
    assert "internal-admin" not in stored_text()
    if status != 500:
        assert BrokenChannel.objects.get(contact=nurse, channel="webhook").error == expected


def test_nothing_of_the_sms_providers_reply_is_stored(patient, team, serve, settings):
    server = serve(lambda path: (400, {}))
    settings.SMS_API_URL = server.url("/sms")
    settings.OUTBOUND_ALLOW_HTTP = True
    settings.SMS_ACCOUNT, settings.SMS_TOKEN, settings.SMS_FROM = "AC1", "tok", "+447700900000"
    sms = Notification.objects.get(alert=red_alert(patient), channel="sms")

    delivery.deliver_notification(sms.pk, now=SOON)

    nurse = team.contacts_by_role["nurse"]
    assert BrokenChannel.objects.get(contact=nurse, channel="sms").error == (
        "SMS provider: HTTP 400"
    )
    assert SECRET not in stored_text()


def test_the_response_carries_only_its_status(serve, local_allowed):
    server = serve(lambda path: (201, {}))

    response = http.post(server.url(), json={"a": 1}, what="webhook")

    assert response == http.Response(201)


# The settings ------------------------------------------------------------------------


def outbound_settings(**env) -> subprocess.CompletedProcess:
    """Start Django in a new process with `env` and print the outbound settings."""
    clean = {k: v for k, v in start_env().items() if not k.startswith("OUTBOUND_")}
    clean = {**clean, "SECRET_KEY": "x" * 50, "SMS_API_URL": "", **env}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.OUTBOUND_ALLOW_HTTP, s.OUTBOUND_ALLOWED_NETWORKS)",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_network_is_allowed_and_http_is_refused_unless_the_environment_says_so():
    assert outbound_settings().stdout.strip() == "False []"
    listed = outbound_settings(
        OUTBOUND_ALLOW_HTTP="1", OUTBOUND_ALLOWED_NETWORKS="10.20.0.0/16, fd12:3456::/48"
    )
    assert listed.stdout.strip() == "True ['10.20.0.0/16', 'fd12:3456::/48']", listed.stderr


def test_a_network_that_is_not_one_stops_the_start():
    result = outbound_settings(OUTBOUND_ALLOWED_NETWORKS="10.20.0.0/16,intranet")

    assert result.returncode != 0
    assert "OUTBOUND_ALLOWED_NETWORKS: 'intranet' is not a network" in result.stderr


def test_an_sms_provider_over_plain_http_stops_the_start_unless_http_is_allowed():
    refused = outbound_settings(SMS_API_URL="http://sms.example.test/Messages.json")
    allowed = outbound_settings(SMS_API_URL="http://127.0.0.1:9000/sms", OUTBOUND_ALLOW_HTTP="1")

    assert refused.returncode != 0 and "SMS_API_URL must be an https://" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
