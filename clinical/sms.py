"""The SMS reply format: a check-in typed on a feature phone's keypad.

A reply is words separated by spaces, commas or semicolons, in any case; a full
stop, !, ?, ; or : before or after a word is dropped (`CP.`, `OK!` are read):

- `OK`: everything as my usual and no warning signs: each item with a recorded
  usual takes it, every warning sign is answered no, the temperature is not taken
  (as the check-in form's "as usual" button).
- a code with a value, `D9` (stools in the last 24 hours: 9), `N2` (nausea 2),
  `T38.5` (temperature 38.5 °C): that item's answer, range checked as the form
  checks it (clinical.catalogue's bounds; the temperature in °C, to one decimal).
- a warning sign's code alone, `CP`: that warning sign, yes.

Codes may follow OK: `OK D9` is as usual but for 9 stools. Without OK, an item not
mentioned is not answered: the engine judges answered items only, so `D9` alone
says nothing about nausea, and a warning sign not sent is not a "no".

A reply that is not in the format but names a warning sign's code as a word of
its own (`cp please help`) still tells us that warning sign: warning_signs_in.

Pure: no Django model, no database. CODES is the one list of codes; they are
printed on the patient's card, so a code, once given, is never changed or reused.
"""

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .catalogue import BY_KEY, COUNT, ITEMS, SCORE, TEMPERATURE, WELLBEING, YESNO, Item

# Code -> catalogue key. Stable: printed on cards that patients keep.
CODES: dict[str, str] = {
    "D": "stools_per_day",
    "P": "abdominal_pain",
    "N": "nausea",
    "V": "vomiting",
    "A": "appetite_loss",
    "M": "mouth_sores",
    "R": "rash",
    "I": "itching",
    "F": "fatigue",
    "C": "cough",
    "B": "shortness_of_breath",
    "HR": "palpitations",
    "H": "headache",
    "E": "vision_change",
    "Z": "dizziness",
    "W": "muscle_weakness",
    "J": "joint_pain",
    "AX": "anxiety",
    "L": "low_mood",
    "WB": "wellbeing",
    "T": "temperature_c",
    # Warning signs: the code alone means yes.
    "CP": "chest_pain",
    "BL": "stool_blood_or_mucus",
    "Y": "yellow_skin_or_eyes",
    "CF": "confusion",
    "BS": "skin_blistering",
    "FT": "fainting",
    "DU": "dark_urine",
    "LU": "less_urine",
    "TU": "thirst_and_urination",
}
OK = "OK"
CODE_OF: dict[str, str] = {key: code for code, key in CODES.items()}

_WORD = re.compile(r"^([A-Z]+)(.*)$")
_INTEGER = re.compile(r"^[0-9]{1,3}$")
_DECIMAL = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,2})?$")
_SEPARATORS = re.compile(r"[\s,;]+")
# Dropped from either end of a word: a sentence's punctuation, never part of a code.
PUNCTUATION = ".!?;:"
# A reply longer than this is not one of ours (30 codes with values fit in 150).
MAX_LENGTH = 320


@dataclass(frozen=True)
class Reply:
    """A well-formed reply: `ok` (OK was sent) and the values of the codes sent, by
    catalogue key."""

    ok: bool
    values: dict = field(default_factory=dict)

    @property
    def warning_sign(self) -> bool:
        """A warning sign (a yes/no item) reported yes."""
        return any(v is True and BY_KEY[key].kind == YESNO for key, v in self.values.items())

    def answers(self, usual: dict) -> dict:
        """The check-in's answers, by catalogue key (items not answered left out).
        `usual`: the patient's usual values by key (their active baseline)."""
        answers = {}
        if self.ok:
            for item in ITEMS:
                if item.kind == YESNO:
                    answers[item.key] = False
                elif item.has_baseline and usual.get(item.key) is not None:
                    answers[item.key] = usual[item.key]
        answers.update(self.values)
        return answers


class Malformed(ValueError):
    """Not a reply in the format; `word`, the first word that is not (or "")."""

    def __init__(self, reason: str, word: str = ""):
        super().__init__(reason)
        self.word = word


def parse_reply(text: str) -> Reply:
    """The reply `text` means, or Malformed. Every word must be OK or a code (with
    its value in range); a code twice, or nothing at all, is malformed."""
    if len(text) > MAX_LENGTH:
        raise Malformed("too long")
    words = _words(text)
    if not words:
        raise Malformed("empty")
    ok, values = False, {}
    for word in words:
        if word == OK:
            ok = True
            continue
        match = _WORD.match(word)
        if match is None or match.group(1) not in CODES:
            raise Malformed("unknown code", word)
        item = BY_KEY[CODES[match.group(1)]]
        if item.key in values:
            raise Malformed("code given twice", word)
        values[item.key] = _value(item, match.group(2), word)
    return Reply(ok, values)


def _words(text: str) -> list[str]:
    """The reply's words, upper case, each without the punctuation around it."""
    stripped = (w.strip(PUNCTUATION) for w in _SEPARATORS.split(text.strip().upper()))
    return [w for w in stripped if w]


def warning_signs_in(text: str) -> list[str]:
    """The catalogue keys of the warning signs whose code is a word of `text` (in the
    catalogue's order): for a reply not in the format, what it still tells us."""
    words = set(_words(text[:1600]))  # the longest text a provider delivers
    return [item.key for item in ITEMS if item.kind == YESNO and CODE_OF[item.key] in words]


def _value(item: Item, typed: str, word: str):
    if item.kind == YESNO:
        if typed:
            raise Malformed("a warning sign takes no number", word)
        return True
    if item.kind == TEMPERATURE:
        if not _DECIMAL.match(typed):
            raise Malformed("not a temperature", word)
        try:
            value = Decimal(typed).quantize(Decimal("0.1"), ROUND_HALF_UP)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise Malformed("not a temperature", word) from None
    else:
        if not _INTEGER.match(typed):
            raise Malformed("not a whole number", word)
        value = int(typed)
    low, high = item.bounds
    if not low <= value <= high:
        raise Malformed("out of range", word)
    return value


@dataclass(frozen=True)
class CardRow:
    """One line of the patient's SMS card."""

    code: str
    item: Item
    example: str  # a reply word, e.g. "N2", "T38.5", "CP"
    low: object = None
    high: object = None
    low_words: str = ""
    high_words: str = ""

    @property
    def warning_sign(self) -> bool:
        return self.item.kind == YESNO


def card_rows() -> list[CardRow]:
    """Every code, in the catalogue's order, with its range, for the printed card."""
    rows = []
    for item in ITEMS:
        code = CODE_OF[item.key]
        if item.kind == SCORE:
            none, worst = item.choices[0].lower(), item.choices[4].lower()
            rows.append(CardRow(code, item, f"{code}2", 0, 4, none, worst))
        elif item.kind == COUNT:
            rows.append(CardRow(code, item, f"{code}3", 0, item.bounds[1]))
        elif item.kind == WELLBEING:
            rows.append(CardRow(code, item, f"{code}7", 0, 10, "very unwell", "completely well"))
        elif item.kind == TEMPERATURE:
            low, high = item.bounds
            rows.append(CardRow(code, item, f"{code}38.5", low, high, "°C", "°C"))
        else:
            rows.append(CardRow(code, item, code))
    return rows
