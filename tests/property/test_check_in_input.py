"""Bad input to the patient's baseline and daily check-in (hypothesis).

Whatever is posted: never a server error; a post that is not accepted saves nothing
and names the problem on the page; a post that is accepted saves one row with exactly
the values meant (a temperature in °F is saved as its °C). A 1 MB free text is refused,
and a form sent twice with the same token is saved once.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.text import slugify
from hypothesis import event, given
from hypothesis import strategies as st

from clinical.catalogue import (
    AREAS,
    BASELINE_ITEMS,
    BY_KEY,
    COUNT,
    ITEMS,
    SCORE,
    STOOLS_MAX,
    TEMPERATURE,
    WELLBEING,
    YESNO,
)
from clinical.words import fahrenheit
from patients.models import Baseline, CheckIn

from .support import (
    ADVERSARIAL,
    assert_changed_only,
    assert_problems_shown,
    check_post,
    fuzz,
    posted_value,
    rolled_back,
    snapshot,
    unicode_text,
)

CHECK_IN = reverse("patients:check_in")
BASELINE = reverse("patients:baseline")
ONE_MB = 1024 * 1024


# An answer as posted, whether the form must accept it, and the value it stands for ----


@dataclass(frozen=True)
class Posted:
    text: str
    valid: bool
    value: object = None  # what is saved; None for a blank (not answered)


def _valid(values, parse):
    return st.sampled_from(values).map(lambda s: Posted(s, True, parse(s)))


def _invalid(values):
    return st.sampled_from(values).map(lambda s: Posted(s, False))


BLANK = Posted("", True, None)
JUNK_NUMBERS = ["NaN", "sNaN", "inf", "-inf", "1e309", "9" * 5000, "abc", "\x00", "3\x00", "[]"]


def good_answer(item) -> st.SearchStrategy[Posted]:
    """A blank or an answer the form must accept, with the value it must save."""
    if item.kind == SCORE:
        good = _valid([str(i) for i in range(5)], int)
    elif item.kind == YESNO:
        good = _valid(["yes", "no"], lambda s: s == "yes")
    elif item.kind == COUNT:
        good = _valid([str(n) for n in range(STOOLS_MAX + 1)], int)
    elif item.kind == WELLBEING:
        good = _valid([str(n) for n in range(11)], int)
    else:
        raise AssertionError(item.kind)
    return st.one_of(st.just(BLANK), good)


def bad_answer(item) -> st.SearchStrategy[Posted]:
    """An answer the form must refuse."""
    if item.kind == SCORE:
        return _invalid(["5", "-1", "1.5", "4.0", " 3", "\uff11", "yes", *JUNK_NUMBERS])
    if item.kind == YESNO:
        return _invalid(["Yes", "true", "1", "on", "y", "\x00", "yes\x00", "maybe"])
    if item.kind == COUNT:
        return _invalid([str(STOOLS_MAX + 1), "-1", "1.5", "1e3", "1000000", *JUNK_NUMBERS])
    if item.kind == WELLBEING:
        return _invalid(["11", "-1", "7.5", "100", *JUNK_NUMBERS])
    raise AssertionError(item.kind)


CELSIUS = [Decimal(n) / 10 for n in range(320, 441)]  # 32.0 to 44.0 °C by 0.1


def good_temperature(unit: str) -> st.SearchStrategy[Posted]:
    """A reading typed in the unit, saved as its °C (one decimal)."""

    def typed(celsius):
        return Posted(str(fahrenheit(celsius) if unit == "F" else celsius), True, celsius)

    return st.one_of(st.just(BLANK), st.sampled_from(CELSIUS).map(typed))


def bad_temperature(unit: str) -> st.SearchStrategy[Posted]:
    wrong_unit = ["98.6", "102.2", "31.9", "44.1"] if unit == "C" else ["37.0", "89.5", "111.3"]
    junk = ["-40", "0", "1000", "-1e309", "NaN", "sNaN", "Infinity", "abc", "37.5\x00", "\x00"]
    return _invalid(wrong_unit + junk)


def good_text(limit: int) -> st.SearchStrategy[Posted]:
    text = st.one_of(
        st.just(""),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40),
        st.just("x" * limit),
        st.just(" é" * (limit // 2) + "   "),
    )
    return text.map(lambda t: Posted(t, True, t.strip()))


def bad_text(limit: int) -> st.SearchStrategy[Posted]:
    return _invalid(["a\x00b", "\x00", "x" * (limit + 1), "é" * (limit + 1)])


TEXT_LIMITS = {"free_text": 2000, "new_medicines": 1000}
TOKEN = "form_token"


@st.composite
def check_in_post(draw, *, valid_only=False):
    """A complete check-in form as a browser sends it, with none, one or two fields wrong.

    Returns (data, whether the form must accept it, the values it must save)."""
    unit = draw(st.sampled_from(["C", "F"]))
    posted = {
        item.key: draw(good_temperature(unit) if item.kind == TEMPERATURE else good_answer(item))
        for item in ITEMS
    }
    posted.update({key: draw(good_text(limit)) for key, limit in TEXT_LIMITS.items()})
    posted[TOKEN] = draw(st.uuids().map(lambda u: Posted(str(u), True, u)))
    wrong = [] if valid_only else draw(st.lists(st.sampled_from(sorted(posted)), max_size=2))
    for key in wrong:
        if key == TOKEN:
            bad = _invalid(["", "abc", "\x00", "00000000-0000-0000-0000-00000000000g", "1" * 99])
        elif key in TEXT_LIMITS:
            bad = bad_text(TEXT_LIMITS[key])
        elif key == "temperature_c":
            bad = bad_temperature(unit)
        else:
            bad = bad_answer(BY_KEY[key])
        posted[key] = draw(bad)
    data = {key: p.text for key, p in posted.items()}
    data["temperature_unit"] = unit
    answered = any(posted[item.key].value is not None for item in ITEMS)
    valid = answered and all(p.valid for p in posted.values())
    return data, valid, {key: p.value for key, p in posted.items()}


@fuzz(20)
@given(post=check_in_post())
def test_a_check_in_is_saved_exactly_as_meant_or_refused_with_a_message(patient_browser, post):
    data, valid, expected = post
    event("must be accepted" if valid else "must be refused")
    with rolled_back():
        before = CheckIn.objects.count()
        response, changed = check_post(patient_browser, CHECK_IN, data)
        if valid:
            assert response.status_code == 302, response.context["form"].errors
            saved = CheckIn.objects.get(form_token=uuid.UUID(data["form_token"]))
            assert_changed_only(changed, "patients.CheckIn")
            assert response["Location"] == reverse("patients:check_in_result", args=[saved.pk])
            for item in ITEMS:
                assert getattr(saved, item.key) == expected[item.key], item.key
            assert saved.free_text == expected["free_text"]
            assert saved.new_medicines == expected["new_medicines"]
        else:
            assert response.status_code == 200
            assert CheckIn.objects.count() == before
            assert_problems_shown(response, "form")


CHECK_IN_FIELDS = [
    *(item.key for item in ITEMS),
    "temperature_unit",
    "form_token",
    "free_text",
    "new_medicines",
    "submit",
    "csrfmiddlewaretoken",
]
AS_USUAL = ["as_usual_all", *(f"as_usual_{slugify(area)}" for area in AREAS), "as_usual_x"]


@fuzz(15)
@given(
    data=st.dictionaries(
        st.one_of(st.sampled_from(CHECK_IN_FIELDS), unicode_text), posted_value, max_size=12
    ),
    buttons=st.lists(st.sampled_from(AS_USUAL), max_size=2),
)
def test_any_check_in_post_is_saved_once_or_refused_with_a_message(patient_browser, data, buttons):
    data = {**data, **{button: "1" for button in buttons}}
    with rolled_back():
        response, changed = check_post(patient_browser, CHECK_IN, data)
        if not data:
            # No field at all (never from a browser, which sends its CSRF token): the
            # view takes it for a GET and shows the blank form.
            assert response.status_code == 200 and not changed
        elif response.status_code == 302:
            assert_changed_only(changed, "patients.CheckIn")
            assert CheckIn.objects.count() == 1
        elif any(b != "as_usual_x" for b in buttons):
            # "As usual" without JavaScript: the form comes back filled in, nothing saved.
            assert response.status_code == 200 and not changed
        else:
            assert response.status_code == 200
            assert_problems_shown(response, "form")


@fuzz(5)
@given(
    area=st.sampled_from(AS_USUAL[:-1]),
    data=st.dictionaries(st.sampled_from(CHECK_IN_FIELDS), st.sampled_from(ADVERSARIAL)),
)
def test_an_as_usual_button_fills_the_form_and_saves_nothing(patient_browser, patient, area, data):
    slug = area.removeprefix("as_usual_")
    with rolled_back():
        before = snapshot()
        response, changed = check_post(patient_browser, CHECK_IN, {**data, area: "1"})
        assert response.status_code == 200 and not changed and snapshot() == before
        form = response.context["form"]
        assert not form.is_bound and form.filled == slug
        # The area's usual answers replace whatever junk was posted for them.
        for item in BASELINE_ITEMS:
            usual = getattr(patient.active_baseline, item.key)
            if usual is not None and slug in ("all", slugify(item.area)):
                assert form.initial[item.key] == usual, item.key


# A 1 MB free text, NUL bytes, and a replayed form ------------------------------------------


@pytest.mark.parametrize("field", ["free_text", "new_medicines"])
def test_a_1_mb_free_text_is_refused_with_a_message_and_nothing_is_saved(patient_browser, field):
    data = {"form_token": str(uuid.uuid4()), "nausea": "1", field: "x" * ONE_MB}

    response, changed = check_post(patient_browser, CHECK_IN, data)

    assert response.status_code == 200
    assert not changed and CheckIn.objects.count() == 0
    messages = assert_problems_shown(response, "form")
    limit = 2000 if field == "free_text" else 1000
    assert [m for m in messages if str(limit) in m and str(ONE_MB) in m], messages
    assert f'id="id_{field}_error"' in response.text  # beside the box, not only at the top


def test_a_post_larger_than_django_accepts_is_a_400_not_a_500(patient_browser):
    data = {"form_token": str(uuid.uuid4()), "nausea": "1", "free_text": "x" * (3 * ONE_MB)}

    response, changed = check_post(patient_browser, CHECK_IN, data)

    assert response.status_code == 400 and not changed


def test_too_many_fields_is_a_400_not_a_500(patient_browser):
    data = {f"field{n}": "1" for n in range(1100)} | {"form_token": str(uuid.uuid4())}

    response, changed = check_post(patient_browser, CHECK_IN, data)

    assert response.status_code == 400 and not changed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("free_text", "I feel \x00 odd"),
        ("new_medicines", "\x00"),
        ("form_token", "5001ba97-78bd-45dc-8ddd-5afdabffae9c\x00"),  # fixed: xdist collects twice
        ("temperature_c", "37.5\x00"),
        ("nausea", "2\x00"),
        ("stools_per_day", "\x003"),
        ("chest_pain", "no\x00"),
    ],
)
def test_a_nul_byte_anywhere_is_a_form_error_not_a_500(patient_browser, field, value):
    data = {"form_token": str(uuid.uuid4()), "fatigue": "1", field: value}

    response, changed = check_post(patient_browser, CHECK_IN, data)

    assert response.status_code == 200 and not changed
    assert_problems_shown(response, "form")


def test_raw_bytes_that_are_not_utf_8_are_a_form_error_not_a_500(patient_browser):
    body = f"form_token={uuid.uuid4()}&nausea=%FF&free_text=%C3%28%00&new_medicines=%ED%A0%80"

    response, changed = check_post(
        patient_browser, CHECK_IN, body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200 and not changed
    assert_problems_shown(response, "form")


@fuzz(5)
@given(post=check_in_post(valid_only=True).filter(lambda post: post[1]))
def test_a_check_in_replayed_with_the_same_token_is_saved_once(patient_browser, post):
    data, _valid, _expected = post
    with rolled_back():
        first, _ = check_post(patient_browser, CHECK_IN, data)
        again, changed = check_post(patient_browser, CHECK_IN, data)
        assert first.status_code == again.status_code == 302
        assert again["Location"] == first["Location"]
        assert not changed and CheckIn.objects.count() == 1
        followed = patient_browser.get(again["Location"])
        assert "already sent; it has been saved once" in followed.text


def test_a_changed_check_in_replayed_is_saved_once_too(patient_browser):
    """Back, change an answer, send: a new check-in (README); that one sent twice (a double
    tap, a retried request) must be saved once as well."""
    data = {"form_token": str(uuid.uuid4()), "nausea": "1"}
    check_post(patient_browser, CHECK_IN, data)
    changed = {**data, "nausea": "2"}

    first, _ = check_post(patient_browser, CHECK_IN, changed)
    again, _ = check_post(patient_browser, CHECK_IN, changed)

    assert first.status_code == again.status_code == 302
    assert sorted(CheckIn.objects.values_list("nausea", flat=True)) == [1, 2]
    assert again["Location"] == first["Location"]


# The baseline ------------------------------------------------------------------------------


@st.composite
def baseline_post(draw):
    answers = {item.key: draw(good_answer(item)) for item in BASELINE_ITEMS}
    keys = sorted(answers)
    for key in draw(st.lists(st.sampled_from(keys), max_size=2)):
        answers[key] = draw(bad_answer(BY_KEY[key]))
    data = {key: posted.text for key, posted in answers.items()}
    # A blank is refused too: every question of a usual needs an answer (none is one).
    valid = all(p.valid and p.text for p in answers.values())
    return data, valid, answers


@fuzz(10)
@given(post=baseline_post())
def test_a_baseline_is_saved_exactly_as_meant_or_refused_with_a_message(patient_browser, post):
    data, valid, answers = post
    event("must be accepted" if valid else "must be refused")
    with rolled_back():
        before = Baseline.objects.count()
        response, changed = check_post(patient_browser, BASELINE, data)
        if valid:
            assert response.status_code == 302, response.context["form"].errors
            assert_changed_only(changed, "patients.Baseline")
            saved = Baseline.objects.order_by("-pk").first()
            for key, posted in answers.items():
                assert getattr(saved, key) == posted.value, key
        else:
            assert response.status_code == 200
            assert Baseline.objects.count() == before
            assert_problems_shown(response, "form")


@fuzz(10)
@given(
    data=st.dictionaries(
        st.one_of(st.sampled_from([i.key for i in BASELINE_ITEMS]), unicode_text),
        posted_value,
        min_size=1,
        max_size=10,
    )
)
def test_any_baseline_post_is_saved_or_refused_with_a_message(patient_browser, data):
    with rolled_back():
        response, changed = check_post(patient_browser, BASELINE, data)
        if response.status_code == 302:
            assert_changed_only(changed, "patients.Baseline")
        else:
            assert response.status_code == 200
            assert_problems_shown(response, "form")
