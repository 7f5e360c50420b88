"""The SMS reply format (clinical/sms.py): what each reply means, and what is refused."""

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.catalogue import BY_KEY, ITEMS, YESNO
from clinical.sms import CODES, OK, Malformed, card_rows, parse_reply, warning_signs_in


def test_it_gives_every_catalogue_item_exactly_one_code():
    assert sorted(CODES.values()) == sorted(item.key for item in ITEMS)
    assert OK not in CODES
    assert all(code.isalpha() and code.isupper() for code in CODES)
    assert [row.item.key for row in card_rows()] == [item.key for item in ITEMS]


@pytest.mark.parametrize(
    "text, ok, values",
    [
        ("OK", True, {}),
        ("ok", True, {}),
        (" Ok ", True, {}),
        ("D9", False, {"stools_per_day": 9}),
        ("OK D9", True, {"stools_per_day": 9}),
        ("d9,n2", False, {"stools_per_day": 9, "nausea": 2}),
        ("ok, d9 , N2", True, {"stools_per_day": 9, "nausea": 2}),
        ("T38.5", False, {"temperature_c": Decimal("38.5")}),
        ("t37", False, {"temperature_c": Decimal("37.0")}),
        ("T37.45", False, {"temperature_c": Decimal("37.5")}),  # to one decimal, as the form
        ("CP", False, {"chest_pain": True}),
        ("ok cp", True, {"chest_pain": True}),
        ("H3 HR2", False, {"headache": 3, "palpitations": 2}),
        ("WB4 W1", False, {"wellbeing": 4, "muscle_weakness": 1}),
        ("D0", False, {"stools_per_day": 0}),
        ("D50", False, {"stools_per_day": 50}),
        ("T32", False, {"temperature_c": Decimal("32.0")}),
        ("T44.0", False, {"temperature_c": Decimal("44.0")}),
        ("WB10", False, {"wellbeing": 10}),
        # A sentence's punctuation around a word is dropped; ";" separates too.
        ("CP.", False, {"chest_pain": True}),
        ("CP!", False, {"chest_pain": True}),
        ("OK.", True, {}),
        ("Ok!!", True, {}),
        ("D9;N2", False, {"stools_per_day": 9, "nausea": 2}),
        ("ok: d9; n2.", True, {"stools_per_day": 9, "nausea": 2}),
        ("T38.5.", False, {"temperature_c": Decimal("38.5")}),
        ("?CP?", False, {"chest_pain": True}),
        ("OK .", True, {}),
    ],
)
def test_it_reads_a_well_formed_reply(text, ok, values):
    reply = parse_reply(text)
    assert reply.ok is ok and reply.values == values


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        ",,",
        "hello",
        "OK thanks",
        "D",  # a count needs its number
        "N5",  # scores are 0-4
        "D51",  # stools 0-50
        "WB11",
        "T31.9",  # a body temperature is 32-44 °C
        "T44.1",
        "T101",  # °F is not taken by SMS
        "T38,5",  # the comma separates: "5" is no code
        "N-1",
        "N1.5",
        "D9 D3",  # the same item twice
        "CP1",  # a warning sign is the code alone
        "CPX",
        "N 2",
        "D9" * 200,
        ".",
        "!?;:",
        "cp please help",
        "N1.5.",  # a dot inside a word is not punctuation
        "T.5",
    ],
)
def test_it_refuses_a_malformed_reply(text):
    with pytest.raises(Malformed):
        parse_reply(text)


def test_ok_means_the_usual_and_no_warning_signs():
    usual = {"stools_per_day": 1, "nausea": 1, "wellbeing": 8}
    answers = parse_reply("OK D9").answers(usual)
    assert answers["stools_per_day"] == 9
    assert answers["nausea"] == 1 and answers["wellbeing"] == 8
    assert all(answers[i.key] is False for i in ITEMS if i.kind == YESNO)
    assert "temperature_c" not in answers  # never filled, as the form's button
    assert "fatigue" not in answers  # no usual recorded: not answered


def test_without_ok_an_item_not_mentioned_is_not_answered():
    assert parse_reply("D9").answers({"stools_per_day": 1, "nausea": 1}) == {"stools_per_day": 9}


def test_a_warning_sign_is_reported_yes_and_overrides_ok():
    reply = parse_reply("OK BL")
    assert reply.warning_sign
    assert reply.answers({})["stool_blood_or_mucus"] is True
    assert not parse_reply("OK D9").warning_sign


@pytest.mark.parametrize(
    "text, keys",
    [
        ("cp please help", ["chest_pain"]),
        ("CP. help!", ["chest_pain"]),
        ("help fT, cp", ["chest_pain", "fainting"]),  # the catalogue's order
        ("OK thanks", []),
        ("please call", []),
        ("cpx help", []),  # a code inside a word is not the code
        ("D9 help", []),  # only warning signs are read from an unreadable reply
        ("help " * 100 + "CP", ["chest_pain"]),  # beyond a reply's length, still read
    ],
)
def test_it_finds_the_warning_signs_in_an_unreadable_reply(text, keys):
    assert warning_signs_in(text) == keys


def _word(code):
    item = BY_KEY[CODES[code]]
    if item.kind == YESNO:
        return st.just((code, code, True))
    if item.bounds and isinstance(item.bounds[0], Decimal):
        return st.decimals(item.bounds[0], item.bounds[1], places=1).map(
            lambda v: (code, f"{code}{v}", v)
        )
    low, high = item.bounds
    return st.integers(low, high).map(lambda v: (code, f"{code}{v}", v))


@given(
    st.lists(st.sampled_from(sorted(CODES)), unique=True, max_size=12).flatmap(
        lambda codes: st.tuples(*(_word(c) for c in codes))
    ),
    st.booleans(),
    st.sampled_from([" ", ",", ", ", "  "]),
    st.booleans(),
)
def test_any_reply_written_from_the_codes_reads_back_as_written(words, ok, sep, lower):
    parts = ([OK] if ok else []) + [w for _, w, _ in words]
    text = sep.join(parts)
    if lower:
        text = text.lower()
    if not parts:
        with pytest.raises(Malformed):
            parse_reply(text)
        return
    reply = parse_reply(text)
    assert reply.ok is ok
    assert reply.values == {CODES[c]: v for c, _, v in words}


@given(st.text(max_size=40))
def test_any_text_is_read_or_refused_never_an_error(text):
    try:
        reply = parse_reply(text)
    except Malformed:
        return
    for key, value in reply.values.items():
        item = BY_KEY[key]
        if item.kind == YESNO:
            assert value is True
        else:
            assert item.bounds[0] <= value <= item.bounds[1]


def test_the_readme_lists_every_code():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code in CODES:
        assert f"| `{code}` |" in readme, code
