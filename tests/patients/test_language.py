"""British English by default, American English on request (Django's translation
framework); and the text-size control."""

import ast
import gettext
import io
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from patients.models import Carer, CheckIn, Treatment

from ..factories import make_check_in

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en_US" / "LC_MESSAGES"
BRITISH = re.compile(
    r"diarrhoea|tummy|been sick|feeling sick|colour|holiday|recognise|opened your bowels"
    r"|\bring\b|°C or 99",
    re.IGNORECASE,
)
US = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def visible_text(html: str) -> str:
    """What a reader sees: no tags, no attribute values, no scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_british_english_is_the_default(patient_client):
    page = patient_client.get(reverse("patients:check_in")).text
    assert '<html lang="en-GB"' in page
    assert "How many times have you opened your bowels" in page
    assert 'value="C" checked' in page


def test_an_american_browser_gets_american_spelling_and_fahrenheit_first(patient_client):
    page = patient_client.get(reverse("patients:check_in"), **US).text
    assert '<html lang="en-US"' in page
    assert "How many bowel movements have you had in the last 24 hours?" in page
    assert "How often have you thrown up (vomited)?" in page
    assert "anti-diarrhea pills" in page
    assert 'value="F" checked' in page
    assert "For example 99.0 °F or 37.2 °C." in page
    assert "Nausea (feeling like you might throw up)" in page
    assert "Feeling nauseous" not in page
    assert "Blood or mucus in your stool (poop)" in page


def test_the_usual_in_american_english(patient_client):
    page = patient_client.get(reverse("patients:baseline"), **US).text
    assert "On a typical day, how many bowel movements do you have?" in page


def test_choosing_a_language_is_remembered(patient_client):
    response = patient_client.post(
        reverse("set_language"), {"language": "en-us", "next": reverse("patients:contacts")}
    )
    assert response.status_code == 302 and response.url == reverse("patients:contacts")
    assert "anti-diarrhea pills" in patient_client.get(reverse("patients:contacts")).text
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en-us" and int(cookie["max-age"]) >= 365 * 24 * 3600

    patient_client.post(reverse("set_language"), {"language": "en-gb", "next": "/"})
    assert "anti-diarrhoea tablets" in patient_client.get(reverse("patients:contacts")).text


def test_a_temperature_in_fahrenheit_is_stored_in_celsius_and_shown_in_fahrenheit(
    patient_client, patient
):
    patient_client.post(
        reverse("patients:check_in"),
        {"form_token": str(uuid.uuid4()), "temperature_c": "100.4", "temperature_unit": "F"},
        **US,
    )
    assert CheckIn.objects.get(patient=patient).temperature_c == Decimal("38.0")

    history = patient_client.get(reverse("patients:check_ins"), **US).text
    assert "100.4 °F (38.0 °C)" in history
    assert "38.0 °C" in patient_client.get(reverse("patients:check_ins")).text


@pytest.mark.parametrize(
    "page", ["check_in", "contacts", "questions", "treatment", "check_ins", "home", "baseline"]
)
def test_no_british_spelling_reaches_an_american_reader(patient_client, patient, page):
    Treatment.objects.filter(patient=patient).update(kind="car_t")
    make_check_in(patient, stools_per_day=9, temperature_c=Decimal("38.5"))
    text = visible_text(patient_client.get(reverse(f"patients:{page}"), **US).text)
    assert not BRITISH.findall(text), BRITISH.findall(text)


def test_the_red_advice_in_american_english(patient_client, patient):
    response = patient_client.post(
        reverse("patients:check_in"),
        {"form_token": str(uuid.uuid4()), "stools_per_day": "9"},
        follow=True,
        **US,
    )
    text = visible_text(response.text)
    assert "Urgent: phone now" in text and "anti-diarrhea pills" in text
    assert not BRITISH.findall(text), BRITISH.findall(text)


def test_the_compiled_catalogue_matches_its_source():
    """locale/en_US/LC_MESSAGES/django.mo is compiled from django.po (compilemessages)."""
    source = (CATALOGUE / "django.po").read_text()
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    pairs = re.findall(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', source, re.M)
    translated = 0
    for raw_id, raw_str in pairs:
        msgid = "".join(re.findall(r'"(.*)"', raw_id)).replace('\\"', '"')
        msgstr = "".join(re.findall(r'"(.*)"', raw_str)).replace('\\"', '"')
        if msgid and msgstr:
            translated += 1
            assert catalogue.gettext(msgid) == msgstr, msgid
    assert translated >= 10


# Text size ---------------------------------------------------------------------------


def test_the_text_size_is_chosen_and_kept(client, patient_client):
    page = patient_client.get(reverse("patients:home")).text
    assert 'class="text-normal"' in page

    response = patient_client.post(
        reverse("set_text_size"), {"size": "larger", "next": reverse("patients:contacts")}
    )
    assert response.status_code == 302 and response.url == reverse("patients:contacts")
    page = patient_client.get(reverse("patients:contacts")).text
    assert 'class="text-larger"' in page
    assert 'value="larger" class="btn btn-outline-dark text-size-choice' in page
    assert re.search(r'value="larger"[^>]*aria-pressed="true"', page)


def test_the_text_size_works_before_logging_in(client):
    client.post(reverse("set_text_size"), {"size": "large", "next": reverse("login")})
    assert 'class="text-large"' in client.get(reverse("login")).text


@pytest.mark.parametrize(
    ("data", "goes_to"),
    [
        ({"size": "huge", "next": "/contacts/"}, "/contacts/"),
        ({"size": "large", "next": "https://evil.example/"}, "/"),
        ({"size": "large", "next": "//evil.example/"}, "/"),
    ],
)
def test_a_bad_text_size_or_address_changes_nothing_dangerous(client, data, goes_to):
    response = client.post(reverse("set_text_size"), data)
    assert response.status_code == 302 and response.url == goes_to
    if data["size"] == "huge":
        assert "text_size" not in response.cookies


def test_the_text_size_control_needs_a_post(client):
    assert client.get(reverse("set_text_size")).status_code == 405


def test_the_emails_say_nothing_that_differs_between_british_and_american_english(patient):
    """No language is stored for a person, so an email is sent in the language
    active where it is sent. That is sound only while the emails hold none of the
    words the en_US catalogue changes: this fails when one does, and then the
    patient's language has to be stored and used (translation.override)."""
    from django.core import mail
    from django.utils import translation

    from patients.invitations import invite_carer, invite_patient
    from patients.models import Carer, Reminder
    from patients.services.reminders import deliver_reminder

    patient.user.email = "alice@example.org"
    patient.user.save()
    invite_patient(patient)
    invite_carer(Carer.objects.create(patient=patient, name="Sam", email="sam@example.org"))
    reminder = Reminder.objects.create(patient=patient, local_date=patient.local_date())
    with translation.override("en-us"):
        assert deliver_reminder(reminder.pk) is True

    assert len(mail.outbox) == 3
    catalogue = (Path(settings.BASE_DIR) / "locale/en_US/LC_MESSAGES/django.po").read_text()
    changed = [
        "".join(re.findall(r'"(.*)"', raw))
        for raw, american in re.findall(
            r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', catalogue, re.M
        )
        if "".join(re.findall(r'"(.*)"', american))
    ]
    for message in mail.outbox:
        for text in (message.subject, message.body):
            assert not BRITISH.findall(text), (message.subject, BRITISH.findall(text))
            assert not [m for m in changed if m and m in text], message.subject


# Every British-only string has an American form ------------------------------------

BASE = Path(settings.BASE_DIR)
# Words and phrasings an American reader would not write. "diarrhoea" too: American
# clinical usage (CTCAE, FDA labels) spells it "diarrhea", so a patient reads it so.
BRITISH_ONLY = re.compile(
    r"\b(?:(?<!have )forgotten your|colour\w*|centres?|organis\w*|programmes?"
    r"|diarrhoea|whilst|mums?|mobile|tumm(?:y|ies)|poo|holidays?|ring|recognis\w*"
    r"|realis\w*|apologis\w*|authoris\w*|minimis\w*|prioritis\w*|summaris\w*|behaviour"
    r"|favour\w*|licence|grey|postcode|surname|fortnight|paracetamol|oedema|anaemi\w*"
    r"|haem\w*|oesoph\w*|tumours?|litres?|cancelled|travell\w*|analys(?:e|ed|ing)"
    r"|been sick|feeling sick|tablets?|at the weekend|in hospital|GP|A&E)\b",
    re.IGNORECASE,
)
GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}
TRANSLATED = re.compile(
    r"\{%\s*(?:translate|trans)\s+\"(?P<one>[^\"]*)\"[^%]*%\}"
    r"|\{%\s*(?:blocktranslate|blocktrans)(?P<options>[^%]*)%\}(?P<block>.*?)"
    r"\{%\s*(?:endblocktranslate|endblocktrans)\s*%\}",
    re.S,
)


def template_strings(text: str):
    """(msgid or None, text) for each piece of a template a reader may see: the
    translatable strings by their msgid, and the untranslated text (no tags,
    variables, comments or attributes) with None."""
    text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
    text = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", " ", text, flags=re.S)
    for match in TRANSLATED.finditer(text):
        if match["one"] is not None:
            yield match["one"], match["one"]
        else:
            block = re.sub(r"\{\{\s*(\w+)\s*\}\}", r"%(\1)s", match["block"])
            if "trimmed" in match["options"]:
                block = " ".join(line.strip() for line in block.splitlines() if line.strip())
            yield block, block
    rest = TRANSLATED.sub(" ", text)
    rest = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|<[^>]*>", " ", rest, flags=re.S)
    yield None, rest


def python_msgids(source: str):
    """The msgids of a module: each string given to gettext and its kin."""
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in GETTEXT_CALLS
            and node.args
            and isinstance(node.args[-1], ast.Constant)
        ):
            yield node.args[-1].value


def british_only_strings():
    """Every string a reader may see that has a British-only word, as
    (where, msgid or None if it is not translatable, the string)."""
    for path in sorted((BASE / "templates").rglob("*.*")):
        for msgid, text in template_strings(path.read_text()):
            text = " ".join(text.split())
            if msgid is not None and BRITISH_ONLY.search(text):
                yield str(path.relative_to(BASE)), msgid, text
            for match in BRITISH_ONLY.finditer(text) if msgid is None else ():
                around = text[max(0, match.start() - 40) : match.end() + 20]
                yield str(path.relative_to(BASE)), None, around
    for app in ("accounts", "alerts", "base", "clinical", "patients", "symptom_tracker"):
        for path in sorted((BASE / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for msgid in python_msgids(path.read_text()):
                if BRITISH_ONLY.search(msgid):
                    yield str(path.relative_to(BASE)), msgid, msgid


def test_every_british_only_string_has_an_american_form():
    found = list(british_only_strings())
    assert len(found) >= 15  # the scan reads the sources: the catalogue's, the pages'
    missing = []
    with translation.override("en-us"):
        for where, msgid, text in found:
            american = translation.gettext(msgid) if msgid is not None else text
            if BRITISH_ONLY.search(american):
                missing.append(f"{where}: {text!r} (US: {american!r})")
    assert not missing, "British-only strings with no American form:\n" + "\n".join(missing)


def test_the_login_page_in_american_english(client):
    assert "Forgotten your password?" in client.get(reverse("login")).text
    page = client.get(reverse("login"), **US).text
    assert "Forgot your password?" in page and "Forgotten" not in page


def test_the_temperature_unit_the_reader_uses_is_offered_first(patient_client):
    british = patient_client.get(reverse("patients:check_in")).text
    american = patient_client.get(reverse("patients:check_in"), **US).text
    assert british.index('id="id_temperature_unit_c"') < british.index('id="id_temperature_unit_f"')
    assert american.index('id="id_temperature_unit_f"') < american.index(
        'id="id_temperature_unit_c"'
    )


@pytest.mark.django_db
def test_the_demo_carer_logs_in_with_their_email_address(settings):
    """As the login page tells carers: their username is their email address."""
    settings.CELERY_TASK_ALWAYS_EAGER = False  # nothing to deliver here
    call_command("seed_demo", stdout=io.StringIO())
    carers = get_user_model().objects.filter(pk__in=Carer.objects.values("user"))
    assert carers.exists()
    assert all(carer.username == carer.email for carer in carers)
