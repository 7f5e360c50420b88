"""What the load's patients are like and what they send: shared by the seeding
(run.py) and the simulated patients (locustfile.py). No Django: the catalogue only.

Every patient has the same usual (BASELINE). A check-in is the whole form at
the patient's usual, with at most one change:

- red: one red finding on a symptom the patient has not yet sent red (or
  emergency) in this run, so that it opens a new episode and must raise an
  alert (a later red on the same symptom would join the open episode and alert
  nobody, by design: README, "Episodes, not repeats");
- amber: one amber finding (never two: R15 would make the check-in red);
- green: the usual, or a small rise that is recorded but green (R8).

The expected urgency of each is written here from shared/clinical/REFERENCE.md
(rules R1-R13), not computed with the engine, so a mismatch is a finding.
"""

import hashlib
import hmac
import struct
import time
from dataclasses import dataclass
from random import Random

from clinical.catalogue import (
    AMBER_FLAG,
    BASELINE_ITEMS,
    COUNT,
    CRITICAL,
    ITEMS,
    RED_FLAG,
    SCORE,
    STANDARD,
    TEMPERATURE,
    WELLBEING,
    YESNO,
)

RED, EMERGENCY, AMBER, GREEN = "red", "emergency", "amber", "green"

# Every patient's usual: scores none, except a little tiredness; a stool a day; 8/10.
BASELINE: dict[str, int] = {
    **{item.key: 0 for item in BASELINE_ITEMS if item.kind == SCORE},
    "fatigue": 1,
    "stools_per_day": 1,
    "wellbeing": 8,
}

STANDARD_SCORES = [i.key for i in ITEMS if i.kind == SCORE and i.cls == STANDARD]
CRITICAL_SCORES = [i.key for i in ITEMS if i.kind == SCORE and i.cls == CRITICAL]
RED_FLAGS = [i.key for i in ITEMS if i.cls == RED_FLAG]
AMBER_FLAGS = [i.key for i in ITEMS if i.cls == AMBER_FLAG]


@dataclass(frozen=True)
class Change:
    kind: str  # red, amber or green: the share it is drawn from
    expected: str  # the urgency the check-in must get: green, amber, red or emergency
    symptom: str  # the item changed ("" for none)
    answers: dict  # form fields changed from the usual


def usual_form() -> dict[str, str]:
    """The check-in form filled at the usual: every item answered, no temperature."""
    form = {}
    for item in ITEMS:
        if item.kind == YESNO:
            form[item.key] = "no"
        elif item.kind == TEMPERATURE:
            form[item.key] = ""
        else:
            form[item.key] = str(BASELINE[item.key])
    form["temperature_unit"] = "C"
    form["free_text"] = ""
    form["new_medicines"] = ""
    return form


def red_changes(rng: Random) -> list[Change]:
    """One red (or emergency) change per symptom, shuffled: each used once per patient."""
    changes = [
        Change(RED, RED, "stools_per_day", {"stools_per_day": str(1 + rng.randint(4, 9))}),  # R2
        Change(RED, RED, "temperature_c", {"temperature_c": f"{rng.uniform(38.0, 39.6):.1f}"}),
    ]
    for key in RED_FLAGS:  # R3; chest pain is R4, an emergency
        changes.append(Change(RED, EMERGENCY if key == "chest_pain" else RED, key, {key: "yes"}))
    for key in CRITICAL_SCORES:  # R9 (3 or more); very severe breathlessness is R4
        if key == "shortness_of_breath" and rng.random() < 0.5:
            changes.append(Change(RED, EMERGENCY, key, {key: "4"}))
        else:
            value = 3 if key == "shortness_of_breath" else rng.choice([3, 4])
            changes.append(Change(RED, RED, key, {key: str(value)}))
    for key in STANDARD_SCORES:  # R6: very severe and worse than the usual
        changes.append(Change(RED, RED, key, {key: "4"}))
    rng.shuffle(changes)
    return changes


def amber_change(rng: Random) -> Change:
    choice = rng.randrange(6)
    if choice == 0:  # R1: 1-3 stools over the usual
        return Change(
            AMBER, AMBER, "stools_per_day", {"stools_per_day": str(1 + rng.randint(1, 3))}
        )
    if choice == 1:  # R7: severe
        key = rng.choice(STANDARD_SCORES)
        return Change(AMBER, AMBER, key, {key: "3"})
    if choice == 2:  # R10: a small rise of a critical symptom
        key = rng.choice(CRITICAL_SCORES)
        return Change(AMBER, AMBER, key, {key: "1"})
    if choice == 3:  # R5
        key = rng.choice(AMBER_FLAGS)
        return Change(AMBER, AMBER, key, {key: "yes"})
    if choice == 4:  # R12, without chemotherapy
        return Change(
            AMBER, AMBER, "temperature_c", {"temperature_c": rng.choice(["37.6", "37.8"])}
        )
    return Change(AMBER, AMBER, "wellbeing", {"wellbeing": str(BASELINE["wellbeing"] - 3)})  # R13


def green_change(rng: Random) -> Change:
    choice = rng.randrange(4)
    if choice == 0:  # R8: a small rise, recorded but green
        key = rng.choice([k for k in STANDARD_SCORES if BASELINE[k] == 0])
        return Change(GREEN, GREEN, key, {key: "1"})
    if choice == 1:
        return Change(
            GREEN, GREEN, "temperature_c", {"temperature_c": f"{rng.uniform(36.2, 37.3):.1f}"}
        )
    if choice == 2:
        return Change(GREEN, GREEN, "wellbeing", {"wellbeing": str(rng.choice([7, 9]))})
    return Change(GREEN, GREEN, "", {})


class Patient:
    """One simulated patient's check-ins: red while it has symptoms left to send red."""

    def __init__(self, seed: int, red_share: float, amber_share: float):
        self.rng = Random(seed)
        self.red_share, self.amber_share = red_share, amber_share
        self.reds = red_changes(self.rng)

    def next_change(self) -> Change:
        draw = self.rng.random()
        if draw < self.red_share and self.reds:
            return self.reds.pop()
        if draw < self.red_share + self.amber_share:
            return amber_change(self.rng)
        return green_change(self.rng)


def check_kinds() -> None:
    """The scenario only uses kinds of item it knows how to fill."""
    known = {SCORE, YESNO, COUNT, WELLBEING, TEMPERATURE}
    unknown = [item.key for item in ITEMS if item.kind not in known]
    assert not unknown, f"the load scenario does not know how to answer {unknown}"


def patient_username(n: int) -> str:
    return f"load-patient-{n:03d}"


def nurse_username(n: int) -> str:
    return f"load-nurse-{n:02d}"


def nurse_totp_key(username: str) -> bytes:
    """The secret of the nurse's authenticator app (a TOTP device made by the seed):
    derived from the username, so Locust can compute the codes without the database."""
    return hashlib.sha256(f"load-totp:{username}".encode()).digest()[:20]


def totp_code(key: bytes, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238, as django-otp's TOTP devices check it (SHA-1, 30 s, 6 digits)."""
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"
