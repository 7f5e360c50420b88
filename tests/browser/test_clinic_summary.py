"""The clinic summary printed (issue 15, acceptance 3): in print emulation at
1280x800, for the clinician and for the patient, it is one A4 page and axe-core
finds no serious or critical violation."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.catalogue import ITEMS, SCORE, YESNO
from patients.models import Action, Question

from ..conftest import second_factor
from ..factories import UserFactory, add_member, make_check_in, make_flag
from .conftest import DESKTOP, SCREENSHOTS, log_in, shot
from .helpers import AxeLog, make_alice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice():
    """Alice with a month of check-ins: bowels and tiredness worse for a while, a
    warning sign, a fever, two flags with what the team did, and questions."""
    patient = make_alice()
    patient.created_at = timezone.now() - timedelta(days=90)
    patient.save(update_fields=["created_at"])
    patient.baselines.update(created_at=timezone.now() - timedelta(days=90))
    today = patient.local_date()
    patient.treatments.update(
        last_dose_date=today - timedelta(days=21),  # the period starts here
        next_dose_date=today + timedelta(days=1),
        schedule="Every 3 weeks",
        steroids="Prednisolone 40 mg a day, reducing",
    )
    nurse = UserFactory(username="nadia", first_name="Nadia", last_name="Hughes")
    add_member(patient.care_team, nurse)
    second_factor(nurse)
    now = timezone.now()
    for n in range(28, 0, -1):
        at = now - timedelta(days=n)
        worse = 12 <= n <= 16
        c = make_check_in(
            patient,
            at=at,
            stools_per_day=6 if worse else 1,
            fatigue=3 if worse else 1,
            nausea=2 if n in (14, 15) else 0,
            wellbeing=4 if worse else 8,
            temperature_c="38.3" if n == 14 else "36.8",
            chest_pain=False,
            dark_urine=n == 13,
        )
        if n == 15:
            flag = make_flag(
                c,
                acknowledged_at=at + timedelta(minutes=20),
                acknowledged_by=nurse,
                status="resolved",
                resolved_at=at + timedelta(days=3),
                resolved_by=nurse,
                resolution_note="Colitis settled on oral steroids; review in clinic.",
            )
            Action.objects.create(
                episode=flag.episode,
                kind="phoned",
                note="Advised same-day review in the unit.",
                taken_at=at + timedelta(minutes=25),
                taken_by=nurse,
            )
            Action.objects.create(
                episode=flag.episode,
                kind="steroids_started",
                note="Prednisolone 1 mg/kg.",
                taken_at=at + timedelta(hours=5),
                taken_by=nurse,
            )
        if n == 14:
            make_flag(c, "temperature_c", "red", rule="R11")
    for text in (
        "Should my steroid dose come down before the next infusion?",
        "Can I go on holiday in June?",
        "Is the tiredness likely to last?",
    ):
        Question.objects.create(patient=patient, text=text)
    return patient


def printed_pages(page, name) -> int:
    """The page printed on A4 as the browser prints it: its number of pages."""
    pdf = page.pdf(format="A4", print_background=True)
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"{name}.pdf").write_bytes(pdf)
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_the_clinic_summary_prints_on_one_a4_page(chromium, server, alice):
    axe = AxeLog()
    for who, url in (
        ("nadia", f"/triage/patients/{alice.pk}/summary/"),
        ("alice", "/summary/"),
    ):
        context = chromium.new_context(viewport=DESKTOP)
        page = context.new_page()
        log_in(page, server, who)
        page.goto(f"{server.url}{url}")
        shot(page, f"clinic-summary-screen-{who}")
        page.emulate_media(media="print")
        shot(page, f"clinic-summary-print-{who}")
        article = page.locator("article.clinic-summary")
        assert article.get_by_role("heading", name="Clinic summary: Alice Morgan").is_visible()
        text = article.inner_text()
        assert "Stools" in text and "6 a day" in text and "Severe (3)" in text
        assert "Dark urine" in text and "38.3 °C" in text
        assert "Phoned the patient" in text and "Steroids started" in text
        assert "Can I go on holiday in June?" in text
        # The tools (the period's form, the menu) are not printed.
        assert not page.get_by_label("Since (the last appointment)").is_visible()
        assert not page.locator("nav.navbar").is_visible()
        if who == "nadia":
            assert "Nadia Hughes" in text and "oral steroids" in text
        else:
            assert "Nadia" not in text and "oral steroids" not in text
        axe.check(page, f"clinic summary printed ({who})")
        assert printed_pages(page, f"clinic-summary-{who}") == 1
        context.close()
    axe.assert_clean()


def test_the_worst_case_still_prints_on_one_a4_page(chromium, server, alice):
    """8 episodes shown, each with many long actions and a long resolution; 12 long
    questions; warning signs on most days of a 90-day period; a low temperature."""
    nurse = alice.care_team.memberships.get(user__username="nadia").user
    now = timezone.now()
    note = "Spoke at length about the symptoms and what to do overnight. " * 40
    for n in range(89, 29, -1):
        # 13 symptoms worse than usual on some days, every warning sign on many.
        scores = [i for i in ITEMS if i.kind == SCORE][:12]
        answers = {i.key: (n + k) % 4 for k, i in enumerate(scores)}
        answers |= {i.key: (n + k) % 3 > 0 for k, i in enumerate(ITEMS) if i.kind == YESNO}
        make_check_in(
            alice,
            at=now - timedelta(days=n),
            stools_per_day=2 + n % 5,
            wellbeing=n % 10,
            temperature_c="35.4" if n == 50 else "37.9",
            **answers,
        )
    for i in range(10):
        c = make_check_in(alice, at=now - timedelta(days=80 - 5 * i), stools_per_day=8)
        flag = make_flag(
            c,
            acknowledged_at=now - timedelta(days=80 - 5 * i, hours=-1),
            acknowledged_by=nurse,
            status="resolved",
            resolved_at=now - timedelta(days=79 - 5 * i),
            resolved_by=nurse,
            resolution_note=note,
        )
        for k in range(6):
            Action.objects.create(
                episode=flag.episode,
                kind="phoned",
                note=note,
                taken_at=now - timedelta(days=80 - 5 * i, hours=-2 - k),
                taken_by=nurse,
            )
    alice.questions.all().delete()
    for i in range(14):
        Question.objects.create(
            # As long as a question may be (300 characters, which PostgreSQL enforces).
            patient=alice,
            text=(f"{i + 1}. " + "Could we talk about my treatment plan? " * 8)[:300],
        )
    since = (alice.local_date() - timedelta(days=89)).isoformat()
    for who, url in (
        ("nadia", f"/triage/patients/{alice.pk}/summary/?since={since}"),
        ("alice", f"/summary/?since={since}"),
    ):
        context = chromium.new_context(viewport=DESKTOP)
        page = context.new_page()
        log_in(page, server, who)
        page.goto(f"{server.url}{url}")
        page.emulate_media(media="print")
        shot(page, f"clinic-summary-worst-print-{who}")
        text = page.locator("article.clinic-summary").inner_text()
        assert "The 8 most recent of 1" in text and "earlier actions" in text
        assert "Dark urine (" in text and " days, " in text
        assert "35.4 °C" in text and "12 of 14 shown" in text
        assert printed_pages(page, f"clinic-summary-worst-{who}") == 1
        context.close()
