"""The care team card: the contacts page printed on one A4 page, or shown at ?card=1."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from patients.models import Treatment

from ..conftest import login

CONTACTS = reverse("patients:contacts")
PRINT_CSS = Path(settings.BASE_DIR) / "static" / "css" / "print.css"


def test_the_print_stylesheet_is_linked_for_print_only(patient_client):
    html = patient_client.get(CONTACTS).text

    assert re.search(r'<link rel="stylesheet" href="[^"]*/css/print\.css" media="print">', html)


def test_the_card_names_the_patient_their_hospital_number_and_their_medicines(
    patient_client, patient
):
    html = patient_client.get(CONTACTS).text

    assert "My immunotherapy care team card" in html
    assert f'<dd class="fs-5 fw-bold">{patient.name}</dd>' in html
    assert f'<dd class="fs-5 fw-bold">{patient.hospital_number}</dd>' in html
    assert "I am on immunotherapy (pembrolizumab)." in html


def test_the_card_gives_each_contact_what_it_is_for_its_hours_and_its_number(patient_client):
    html = patient_client.get(CONTACTS).text

    assert 'href="tel:999"' in html
    for name, number in [
        ("Immunotherapy nurse specialist", "020 7946 0101"),
        ("Acute oncology 24-hour line", "020 7946 0999"),
        ("On-call oncology registrar", "020 7946 0300"),
    ]:
        block = re.search(rf"<h2 class=\"h5 mb-1\">{name}</h2>(.*?)</div></div>", html, re.S)
        assert block, name
        assert "For urgent problems" in block.group(1)
        assert "Available" in block.group(1)
        assert f'>Call <span class="text-nowrap">{number}</span></a>' in block.group(1)


def test_the_card_carries_the_reminder_about_new_medicines(patient_client):
    html = patient_client.get(CONTACTS).text

    assert (
        "Do not start new medicines, such as anti-diarrhoea tablets, "
        "before speaking to your team." in html
    )
    assert "Keep taking your regular medicines." in html


def test_the_newest_treatment_is_the_one_named(patient_client, patient):
    latest = patient.treatment
    Treatment.objects.create(
        patient=patient,
        kind="checkpoint_inhibitor",
        medicines="ipilimumab and nivolumab",
        start_date=latest.start_date.replace(year=latest.start_date.year - 1),
    )

    html = patient_client.get(CONTACTS).text

    assert "I am on immunotherapy (pembrolizumab)." in html
    assert "ipilimumab" not in html


def test_without_a_treatment_recorded_the_card_still_says_immunotherapy(patient_client, patient):
    patient.treatments.all().delete()

    html = patient_client.get(CONTACTS).text

    assert "<strong>I am on immunotherapy.</strong>" in html


def test_on_screen_the_card_header_is_for_print_and_a_link_leads_to_the_card(patient_client):
    html = patient_client.get(CONTACTS).text

    assert 'class="care-card-head border border-2 border-dark rounded p-3 d-none d-print-block' in (
        html
    )
    assert f'href="{CONTACTS}?card=1">Show my card to print</a>' in html
    # The heading comes first; printing is on the card's own page.
    assert html.index("<h1") < html.index("Show my card to print")
    assert "data-print" not in html


def test_the_printable_card_url_shows_the_card_without_javascript(patient_client, patient):
    html = patient_client.get(CONTACTS, {"card": "1"}).text

    assert 'class="care-card-head border border-2 border-dark rounded p-3 mb-3"' in html
    assert "<title>My care team card" in html
    assert "your browser's Print menu" in html
    # The print button needs JavaScript (print.js shows it), so it starts hidden.
    assert '<button type="button" class="btn btn-primary btn-lg" data-print hidden>' in html
    assert "Print this card" in html and "js/print.js" in html
    assert f'href="{CONTACTS}">Back to who to contact</a>' in html
    assert patient.hospital_number in html


def test_the_print_stylesheet_fits_a4_and_leaves_out_navigation_and_buttons():
    css = PRINT_CSS.read_text()

    assert "@page { size: A4;" in css
    hidden = re.search(r"^nav, (.*?)\{ display: none !important; \}", css, re.M)
    assert hidden and ".card-actions" in hidden.group(1)


def test_another_patient_sees_only_their_own_card(client, patient, other_patient):
    html = login(client, other_patient.user).get(CONTACTS).text

    assert patient.hospital_number not in html and other_patient.hospital_number in html
