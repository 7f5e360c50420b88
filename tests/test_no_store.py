"""Pages drawn for someone logged in are kept by no cache, so that the Back button
shows no record after logging out (symptom_tracker.middleware.NoStoreWhenLoggedInMiddleware)."""

import pytest
from django.urls import reverse

from .factories import make_check_in


@pytest.mark.parametrize(
    "name", ["patients:home", "patients:check_in", "patients:check_ins", "patients:contacts"]
)
def test_a_patients_pages_are_not_stored(patient_client, name):
    response = patient_client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_nurses_view_of_a_patient_is_not_stored(nurse_client, patient):
    make_check_in(patient, stools_per_day=9)
    for url in (reverse("alerts:queue"), reverse("alerts:patient", args=[patient.pk])):
        response = nurse_client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], url


def test_an_export_keeps_its_own_header(patient_client):
    response = patient_client.get(reverse("patients:my_data_json"))
    assert response["Cache-Control"] == "no-store"


def test_after_logging_out_the_server_shows_the_page_no_more(patient_client):
    patient_client.post(reverse("logout"))
    response = patient_client.get(reverse("patients:check_ins"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
