"""Leak markers (issue 12): a unique marker in every free-text field of each
patient's records (tests/personas.py, seed_markers: found from the models' _meta,
so a new field is marked too), and a look for each patient's markers wherever
someone not entitled to them could read them: every page the access matrix walks,
as every persona; the emails, SMS and webhooks the service sent and the worker's
log; and, for erin, erased, every text column of every table.
"""

import io
import zipfile
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from alerts.channels import http

from .alerts.test_channels import FakeProvider
from .personas import PERSONAS, build_world
from .test_access_matrix import Sample, row_for, rows, walk

# Who may see each patient's markers: alice's are for her, her carer, her team and
# the admin; bob's for him, his carer, his team and the admin; erin's, erased, nobody's.
ENTITLED = {
    "alice": {"patient", "carer", "nurse", "coordinator", "admin"},
    "bob": {"other", "other_carer", "other_nurse", "admin"},
    "erin": set(),
}


def text_of(response) -> str:
    """What a page or a download says: a ZIP's files, read one by one."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return body.decode("utf-8", "replace")


def found(text: str, markers: dict[str, str]) -> list[str]:
    return [f"{m} ({where})" for m, where in markers.items() if m in text]


@pytest.fixture
def sent(db, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks, caplog):
    """The world, built with every outbound channel captured: each team's contacts
    take webhooks too, SMS go to a file, and on-commit work runs."""
    settings.SMS_FILE = str(tmp_path / "sms.txt")
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    provider = FakeProvider()
    monkeypatch.setattr(http, "post", provider)
    caplog.set_level("DEBUG")
    with django_capture_on_commit_callbacks(execute=True):
        world = build_world(webhooks=True)
    sample = Sample(world)
    world.sample, world.patient_type = sample, sample.patient_type
    return world, provider


def test_no_page_shows_a_patient_to_someone_not_entitled(sent):
    world, _ = sent
    table = rows()
    leaks, shown = [], set()
    for persona in PERSONAS:
        forbidden = {
            m: f"{tag}: {where}"
            for tag, markers in world.markers.items()
            if persona not in ENTITLED[tag]
            for m, where in markers.items()
        }
        client = world.client(persona)
        for url in walk():
            entry = row_for(url, table)
            if url.key in ("logout", "admin:logout") or entry.outcome("GET", persona) != 200:
                continue
            path = entry.path(world) if entry.path else reverse(url.name) if url.name else ""
            text = text_of(client.get(path or f"/{url.route}"))
            leaks += [f"{persona} {path}: {hit}" for hit in found(text, forbidden)]
            if persona == "patient":
                shown.update(m for m in world.markers["alice"] if m in text)
    assert not leaks, "\n".join(leaks)
    # The markers reach the pages (her export shows every one): the look above is real.
    assert len(shown) >= len(world.markers["alice"]) // 2


def test_outbound_messages_and_the_log_carry_no_patients_markers(sent, caplog, settings):
    """An email names at most the one patient it is about; SMS, webhooks and the
    log name nobody."""
    world, provider = sent
    everyone = {m: tag for tag, markers in world.markers.items() for m in markers}
    problems = []
    for message in mail.outbox:
        text = "\n".join([message.subject, message.body, *message.to])
        tags = {everyone[m] for m in everyone if m in text}
        if len(tags) > 1:
            problems.append(f"email to {message.to} names {sorted(tags)}")
    sms = Path(settings.SMS_FILE)
    assert sms.exists(), "no SMS was sent: the test would prove nothing"
    problems += [f"SMS file: {m}" for m in everyone if m in sms.read_text(encoding="utf-8")]
    assert any("body" in call for call in provider.calls), "no webhook was sent"
    for call in provider.calls:
        text = repr(call)
        problems += [f"webhook/SMS provider: {m}" for m in everyone if m in text]
    for record in caplog.records:
        text = record.getMessage()
        problems += [f"log {record.name}: {m}" for m in everyone if m in text]
    assert not problems, "\n".join(problems)


def test_nothing_of_an_erased_patient_is_left_in_the_database(sent):
    world, _ = sent
    markers = world.markers["erin"]
    left = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(str(v) for v in row if isinstance(v, str))
                left += [f"{table}: {hit}" for hit in found(text, markers)]
    assert not left, "\n".join(left)
