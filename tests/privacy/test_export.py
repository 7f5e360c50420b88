"""My data: the patient downloads everything about them, as JSON or a ZIP of CSVs;
nobody else can."""

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from patients.models import AuditEvent, Question

from ..conftest import login
from .conftest import ACTION_NOTE, FREE_TEXT, QUESTION, RESOLUTION_NOTE, flagged

PAGE = reverse("patients:my_data")
JSON = reverse("patients:my_data_json")
ZIP = reverse("patients:my_data_csv")


def test_the_page_offers_both_downloads_and_says_what_is_in_them(patient_client, full_record):
    response = patient_client.get(PAGE)

    assert response.status_code == 200
    text = response.text
    assert f'href="{ZIP}"' in text and f'href="{JSON}"' in text
    assert "Your check-ins: every answer; empty means not answered: 2" in text
    assert "ask your care team (Immunotherapy Unit)" in text
    assert not AuditEvent.objects.exists()  # looking at the page is not an export


def test_the_json_holds_everything_about_the_patient(
    patient_client, full_record, carer, other_patient
):
    flagged(other_patient, stools_per_day=9, free_text="Bob's own words")

    response = patient_client.get(JSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="my-symptom-tracker-data-'
    )
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["profile"]["username"] == "alice"
    assert data["profile"]["hospital_number"] == full_record.hospital_number
    assert data["profile"]["care_team"] == "Immunotherapy Unit"
    assert data["treatments"][0]["medicines"] == "pembrolizumab"
    assert data["usual"][0]["stools_per_day"] == 1 and data["usual"][0]["recorded_by"] == ""
    first = data["check_ins"][0]
    assert first["stools_per_day"] == 9 and first["abdominal_pain"] == 3
    assert first["anything_else"] == FREE_TEXT and first["entered_by"] == "you"
    assert first["nausea"] is None  # every answer has a column, answered or not
    assert data["questions"][0]["question"] == QUESTION
    assert len(data["reminders_sent"]) == 1
    assert data["carers"][0]["name"] == "Cara" and data["carers"][0]["status"] == "active"
    resolved = [f for f in data["flags"] if f["status"] == "Resolved"]
    assert resolved and resolved[0]["resolution_note"] == RESOLUTION_NOTE
    assert data["team_actions"][0]["note"] == ACTION_NOTE
    assert data["episodes"] and data["alerts"] and data["alert_messages"]
    assert data["alerts"][0]["passed_on_times"] == 1  # escalated to the 24-hour line
    assert {m["to"] for m in data["alert_messages"]} == {
        "Immunotherapy nurse specialist",
        "Acute oncology 24-hour line",
    }
    # Clinicians are "your care team", never named; another patient is nowhere.
    text = response.content.decode()
    assert "nadia" not in text and "Hughes" not in text
    assert "Bob" not in text and other_patient.hospital_number not in text


def test_the_access_log_shows_who_looked_by_role(client, full_record, nurse):
    login(client, nurse)
    client.get(reverse("alerts:patient", args=[full_record.pk]))
    login(client, full_record.user)

    first = json.loads(client.get(JSON).content)
    second = json.loads(client.get(JSON).content)

    [viewed] = first["access_log"]  # an export is recorded once made
    assert (viewed["by"], viewed["action"], viewed["record"]) == ("Clinician", "Viewed", "patient")
    assert "ip" not in viewed and "nadia" not in json.dumps(first)
    _viewed, exported = second["access_log"]
    assert (exported["by"], exported["action"]) == ("you", "Exported their data")


def test_the_zip_holds_a_csv_per_table_and_a_readme(patient_client, full_record):
    response = patient_client.get(ZIP)

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert names[:4] == ["01-profile.csv", "02-treatments.csv", "03-usual.csv", "04-check-ins.csv"]
    assert names[-2].endswith("-access-log.csv") and names[-1] == "README.txt"
    raw = archive.read("04-check-ins.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["stools_per_day"] == "9" and rows[0]["anything_else"] == FREE_TEXT
    assert rows[0]["chest_pain"] == "" and rows[0]["entered_by"] == "you"
    profile = next(csv.DictReader(io.StringIO(archive.read("01-profile.csv").decode("utf-8-sig"))))
    assert profile["reminder_emails"] == "yes"
    readme = archive.read("README.txt").decode()
    assert "04-check-ins.csv: Your check-ins" in readme
    assert "stools_per_day: Stools." in readme


def test_text_that_looks_like_a_formula_is_kept_as_text_in_a_spreadsheet(patient_client, patient):
    Question.objects.create(patient=patient, text='=HYPERLINK("http://evil.example","Click")')

    archive = zipfile.ZipFile(io.BytesIO(patient_client.get(ZIP).content))

    rows = list(csv.DictReader(io.StringIO(archive.read("05-questions.csv").decode("utf-8-sig"))))
    assert rows[0]["question"] == '\'=HYPERLINK("http://evil.example","Click")'


def test_each_download_is_recorded(patient_client, patient):
    patient_client.get(JSON)
    patient_client.get(ZIP)

    events = AuditEvent.objects.order_by("pk")
    assert [(e.action, e.detail, e.actor_role) for e in events] == [
        ("exported", "JSON", "patient"),
        ("exported", "CSV (ZIP)", "patient"),
    ]
    assert all(e.patient_id == patient.pk and e.ip is None for e in events)


@pytest.mark.parametrize("url", [PAGE, JSON, ZIP])
def test_a_carer_or_a_nurse_gets_404(client, carer, nurse, url):
    for user in (carer, nurse):
        login(client, user)
        assert client.get(url).status_code == 404
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("url", [PAGE, JSON, ZIP])
def test_someone_not_logged_in_is_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
