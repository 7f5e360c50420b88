"""Patients and carers read plain words, never the engine's: what was noticed in a
check-in, contact hours and time zones. The care team's pages keep their own text."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from patients.services import check_ins
from patients.templatetags.symptoms import hours_words, zone_words

from ..factories import make_check_in

US = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def noticed(client, check_in, **headers) -> list[str]:
    """The "What we noticed" list of the result page, item by item."""
    check_in.urgency = check_ins.evaluate(check_in).urgency
    check_in.save(update_fields=["urgency"])
    html = client.get(reverse("patients:check_in_result", args=[check_in.pk]), **headers).text
    block = re.search(r"What we noticed</h2>\s*<ul>(.*?)</ul>", html, re.S)
    assert block, "nothing noticed"
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", block[1])]


@pytest.mark.parametrize(
    ("answers", "said"),
    [
        ({"stools_per_day": 9}, "Stools: 9 in the last 24 hours; your usual is 1 a day"),
        ({"fatigue": 3}, "Tiredness or lack of energy: severe; your usual is mild"),
        ({"joint_pain": 4}, "Painful or stiff joints: very severe; your usual is none"),
        ({"abdominal_pain": 3}, "Tummy pain: severe; no usual recorded"),
        ({"vomiting": 3}, "Being sick (vomiting): frequently; no usual recorded"),
        ({"wellbeing": 3}, "Overall wellbeing: 3 out of 10; your usual is 8 out of 10"),
        ({"chest_pain": True}, "Pain or tightness in the chest: yes"),
        ({"dark_urine": True}, "Dark (tea-coloured) pee: yes"),
        ({"temperature_c": Decimal("38.5")}, "Temperature: 38.5 °C, a fever"),
        ({"temperature_c": Decimal("37.6")}, "Temperature: 37.6 °C, slightly raised"),
        ({"temperature_c": Decimal("35.5")}, "Temperature: 35.5 °C, lower than normal"),
    ],
)
def test_what_was_noticed_is_said_in_plain_words(patient_client, patient, answers, said):
    assert noticed(patient_client, make_check_in(patient, **answers)) == [said]


def test_no_rule_codes_grades_or_clinical_shorthand_reach_the_patient(patient_client, patient):
    check_in = make_check_in(patient, stools_per_day=9, fatigue=3, chest_pain=True)

    items = noticed(patient_client, check_in)

    assert len(items) == 3
    text = " ".join(items)
    for clinical in ("grade", "baseline", "vs ", "/day", "R2", "R4", "+8", "critical", "sign)"):
        assert clinical not in text, clinical
    # The care team's flag keeps the engine's explanation.
    explained = {f.symptom: f.explanation for f in check_ins.evaluate(check_in).findings}
    assert "over baseline (grade 2-3)" in explained["stools_per_day"]


def test_a_symptom_high_three_days_running_says_so(patient_client, patient):
    from datetime import timedelta

    from django.utils import timezone

    for days_ago in (2, 1):
        make_check_in(patient, at=timezone.now() - timedelta(days=days_ago), fatigue=3)

    items = noticed(patient_client, make_check_in(patient, fatigue=3))

    assert items == [
        "Tiredness or lack of energy: severe; your usual is mild; "
        "also raised on each of the 2 days before"
    ]


def test_american_english_reads_fahrenheit_first_and_american_words(patient_client, patient):
    check_in = make_check_in(
        patient, temperature_c=Decimal("38.5"), abdominal_pain=3, stool_blood_or_mucus=True
    )

    items = noticed(patient_client, check_in, **US)

    assert "Temperature: 101.3 °F (38.5 °C), a fever" in items
    assert "Belly pain: severe; no usual recorded" in items
    assert "Blood or mucus in stool (poop): yes" in items


@pytest.mark.parametrize(
    ("days", "start", "end", "said"),
    [
        ("mon-fri", "09:00", "17:00", "Monday to Friday, 09:00\u201317:00"),
        ("sat,sun", "10:00", "14:00", "Saturday and Sunday, 10:00\u201314:00"),
        ("mon,wed,fri", "08:30", "12:00", "Monday, Wednesday and Friday, 08:30\u201312:00"),
        ("mon", "09:00", "10:00", "Monday, 09:00\u201310:00"),
        ("fri-mon", "17:00", "24:00", "Friday to Monday, 17:00\u2013midnight"),
        ("Mon-Fri", "09:00", "17:00", "Monday to Friday, 09:00\u201317:00"),
        ("someday", "09:00", "17:00", "someday, 09:00\u201317:00"),  # never hidden
    ],
)
def test_contact_hours_read_as_people_say_them(days, start, end, said):
    assert hours_words(SimpleNamespace(days=days, start=start, end=end)) == said


@pytest.mark.parametrize(
    ("zone", "said"),
    [
        ("Europe/London", "UK time"),
        ("America/New_York", "US Eastern time"),
        ("Australia/Sydney", "Sydney time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
    ],
)
def test_time_zones_read_as_a_place(zone, said):
    assert zone_words(zone) == said


def test_the_contacts_page_says_days_and_zone_in_words(patient_client):
    text = patient_client.get(reverse("patients:contacts")).text

    assert "Times are UK time." in text and "Europe/London time" not in text
    assert "Available Monday to Friday, 09:00\u201317:00." in text
    assert "mon-fri" not in text


def test_the_reminders_page_names_the_zone_in_words(patient_client, patient):
    patient.time_zone = "America/New_York"
    patient.save()

    text = patient_client.get(reverse("patients:reminders")).text

    assert "Times are your own local time (US Eastern time)." in text


def test_the_menu_button_says_menu_beside_its_icon(patient_client):
    html = patient_client.get(reverse("patients:home")).text

    assert (
        '<span class="navbar-toggler-icon"></span><span class="navbar-toggler-label">Menu</span>'
    ) in html
