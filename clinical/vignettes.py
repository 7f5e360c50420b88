"""Running vignette cases (shared/clinical/VIGNETTES.md) through the live engine and routing.

A case is checked against the vignette format before it is run, so that a wrong value or
type is reported as a `CaseError` naming the case and the field, never as a wrong result
or a traceback: a score of 7, a yes/no answered "no" (a string, which would count as yes),
an unknown item key (a typo would leave the item unanswered), an unknown key in `expect`
(it would never be compared).
"""

import json
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .catalogue import BY_KEY, TEMPERATURE, YESNO
from .engine import PastCheckIn, Treatment, evaluate_check_in
from .reminders import TREATMENT_STATUSES
from .routing import ContactSpec, HoursError, parse_hours, parse_window, route
from .urgency import URGENCIES

CASE_FIELDS = ("id", "title", "baseline", "answers", "history", "treatment", "team", "at", "expect")
TREATMENT_FIELDS = ("with_chemotherapy", "status")
TEAM_FIELDS = ("timezone", "contacts")
CONTACT_FIELDS = ("name", "handles", "order", "hours")
WINDOW_FIELDS = ("days", "start", "end")
HISTORY_FIELDS = ("days_ago", "answers")
EXPECT_FIELDS = ("urgency", "alerting", "contact")


class CaseError(ValueError):
    """A case that is not in the vignette format; the message says where."""


class _Invalid(Exception):
    """One problem of a case: where (a path such as answers.nausea) and what."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}" if where else problem)


# Checking a case against the format ------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value, where: str, low: int | None = None, high: int | None = None) -> int:
    """An integer (2.0 is read as 2) within [low, high]."""
    if isinstance(value, float) and value.is_integer():  # False for inf and NaN
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(where, f"{value!r} is not a whole number")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise _Invalid(where, f"{value!r} is not a whole number {bounds}")
    return value


def _text(value, where: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(where, f"{value!r} is not a string")
    return value


def _mapping(value, where: str, fields: tuple[str, ...] | None = None) -> dict:
    """A JSON object; with `fields`, one that holds no other key."""
    if not isinstance(value, dict):
        raise _Invalid(where, f"expected a JSON object, got {type(value).__name__}")
    if fields is not None:
        unknown = [key for key in value if key not in fields]
        if unknown:
            raise _Invalid(where, f"unknown key {unknown[0]!r} (the keys are {', '.join(fields)})")
    return value


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        raise _Invalid(where, f"expected a JSON list, got {type(value).__name__}")
    return value


def _item_value(key: str, value, where: str):
    """One answer (or baseline value) of the catalogue item `key`, checked for its kind."""
    item = BY_KEY.get(key)
    if item is None:
        raise _Invalid(where, "not an item of the catalogue (shared/clinical/REFERENCE.md)")
    if value is None:
        return None  # not answered
    if item.kind == YESNO:
        if not isinstance(value, bool):
            raise _Invalid(where, f"{value!r} is not true or false")
        return value
    if item.kind == TEMPERATURE:
        if not _is_number(value) or not math.isfinite(value):
            raise _Invalid(where, f"{value!r} is not a temperature in °C, such as 37.5")
        return value
    low, high = item.bounds
    return _whole(value, where, low, high)


def _answers(value, where: str) -> dict:
    answers = _mapping(value if value is not None else {}, where)
    return {key: _item_value(key, v, f"{where}.{key}") for key, v in answers.items()}


def _history(value) -> list[PastCheckIn]:
    history = []
    for n, past in enumerate(_list(value if value is not None else [], "history")):
        where = f"history[{n}]"
        past = _mapping(past, where, HISTORY_FIELDS)
        if "days_ago" not in past:
            raise _Invalid(where, "needs 'days_ago' (1 is yesterday)")
        days_ago = _whole(past["days_ago"], f"{where}.days_ago", low=1)
        history.append(PastCheckIn(days_ago, _answers(past.get("answers"), f"{where}.answers")))
    return history


def _treatment(value) -> Treatment | None:
    if value is None:
        return None
    fields = _mapping(value, "treatment", TREATMENT_FIELDS)
    if not isinstance(fields.get("with_chemotherapy", False), bool):
        raise _Invalid("treatment.with_chemotherapy", "is not true or false")
    if fields.get("status", "active") not in TREATMENT_STATUSES:
        raise _Invalid("treatment.status", f"is not one of {', '.join(TREATMENT_STATUSES)}")
    return Treatment(**fields)


def _time_zone(value) -> ZoneInfo:
    name = _text(value, "team.timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _Invalid(
            "team.timezone", f"{name!r} is not a time zone such as Europe/London"
        ) from None


def _contact(value, where: str) -> ContactSpec:
    contact = _mapping(value, where, CONTACT_FIELDS)
    missing = [key for key in CONTACT_FIELDS if key not in contact]
    if missing:
        raise _Invalid(where, f"needs {', '.join(repr(k) for k in missing)}")
    handles = _list(contact["handles"], f"{where}.handles")
    if not all(isinstance(h, str) and h in URGENCIES for h in handles):
        raise _Invalid(f"{where}.handles", f"urgencies are {', '.join(URGENCIES)}")
    hours = contact["hours"]
    if isinstance(hours, list):
        for n, window in enumerate(hours):
            window = _mapping(window, f"{where}.hours[{n}]", WINDOW_FIELDS)
            for key in WINDOW_FIELDS:
                _text(window.get(key), f"{where}.hours[{n}].{key}")
            try:
                parse_window(window["days"], window["start"], window["end"])
            except HoursError as exc:
                raise _Invalid(f"{where}.hours[{n}]", str(exc)) from None
    try:
        parsed = parse_hours(hours)
    except HoursError as exc:
        raise _Invalid(f"{where}.hours", str(exc)) from None
    return ContactSpec(
        name=_text(contact["name"], f"{where}.name"),
        handles=frozenset(handles),
        order=_whole(contact["order"], f"{where}.order"),
        hours=parsed,
    )


def _instant(value) -> datetime:
    """`at`: ISO 8601; without an offset it is read as UTC, as the format says."""
    text = _text(value, "at")
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid(
            "at", f"{text!r} is not an ISO 8601 instant such as 2026-11-24T10:00:00Z"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _expect(value) -> dict:
    expect = _mapping(value if value is not None else {}, "expect", EXPECT_FIELDS)
    if "urgency" in expect and expect["urgency"] not in URGENCIES:
        raise _Invalid("expect.urgency", f"is not one of {', '.join(URGENCIES)}")
    if "alerting" in expect and not all(
        isinstance(key, str) for key in _list(expect["alerting"], "expect.alerting")
    ):
        raise _Invalid("expect.alerting", "is a list of item keys")
    if expect.get("contact") is not None:
        _text(expect["contact"], "expect.contact")
    return expect


def _encodable(case) -> None:
    """Every string can be written out as UTF-8 (JSON lets a lone surrogate through)."""
    try:
        json.dumps(case, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _Invalid("", "holds text that is not valid Unicode (a lone surrogate)") from None


# Running a case -----------------------------------------------------------------------------


def run_case(case: dict) -> dict:
    """One case in, one result out: id, urgency, alerting, findings, contact (with a team)."""
    if not isinstance(case, dict) or "id" not in case:
        raise CaseError("a case is a JSON object with an 'id'")
    case_id = case["id"]
    if isinstance(case_id, bool) or not isinstance(case_id, str | int):
        raise CaseError(f"a case's 'id' is a string or a number, not {case_id!r}")
    try:
        _encodable(case)
        _mapping(case, "", CASE_FIELDS)
        if "title" in case:
            _text(case["title"], "title")
        _expect(case.get("expect"))
        answers = _answers(case.get("answers"), "answers")
        baseline = _answers(case.get("baseline"), "baseline")
        history = _history(case.get("history"))
        treatment = _treatment(case.get("treatment"))
        team = case.get("team")
        if team is not None:
            team = _mapping(team, "team", TEAM_FIELDS)
            tz = _time_zone(team.get("timezone"))
            contacts = [
                _contact(c, f"team.contacts[{n}]")
                for n, c in enumerate(_list(team.get("contacts"), "team.contacts"))
            ]
            if "at" not in case:
                raise _Invalid("at", "a case with a team needs the instant 'at'")
            at = _instant(case["at"])
        evaluation = evaluate_check_in(answers, baseline, history=history, treatment=treatment)
        result = {
            "id": case_id,
            "urgency": evaluation.urgency,
            "alerting": evaluation.alerting,
            "findings": [f.as_dict() for f in evaluation.findings],
        }
        if team is not None:
            try:
                chosen = route(contacts, evaluation.urgency, at, tz)
            except OverflowError:
                raise _Invalid(
                    "at", f"{case['at']!r} is too near the ends of the calendar"
                ) from None
            result["contact"] = chosen.contact.name if chosen else None
            if chosen:
                result["deliver_at"] = chosen.deliver_at.isoformat()
                result["routing"] = chosen.reason
    except _Invalid as exc:
        raise CaseError(f"case {case_id!r}: {exc}") from exc
    except (KeyError, TypeError, ValueError, LookupError, ArithmeticError) as exc:
        # A backstop: whatever the checks above let through is still reported by case.
        raise CaseError(f"case {case_id!r}: {type(exc).__name__}: {exc}") from exc
    return result


def mismatches(case: dict, result: dict) -> list[str]:
    expect = case.get("expect") or {}
    return [
        f"{key}: expected {expect[key]!r}, got {result.get(key)!r}"
        for key in ("urgency", "alerting", "contact")
        if key in expect and expect[key] != result.get(key)
    ]


def _not_json(constant: str):
    raise ValueError(f"{constant} is not a JSON value")


def read_cases(path: str):
    """The cases of a file, one JSON object a line (blank lines skipped).

    A line that is not UTF-8 text or not JSON is a CaseError naming the file and the
    line; a file that cannot be read raises OSError, for the caller to report."""
    if "\x00" in str(path):
        raise CaseError(f"cannot read {path!r}: a file name holds no NUL byte")
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            try:
                # A byte order mark left by an editor is not part of the first case.
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise CaseError(f"{where}: not UTF-8 text ({exc.reason})") from exc
            if not line.strip():
                continue
            try:
                case = json.loads(line, parse_constant=_not_json)
            except json.JSONDecodeError as exc:
                raise CaseError(f"{where}: not JSON ({exc.msg})") from exc
            except RecursionError as exc:
                raise CaseError(f"{where}: not JSON (nested too deeply)") from exc
            except ValueError as exc:  # NaN or Infinity; an integer of thousands of digits
                raise CaseError(f"{where}: not JSON ({exc})") from exc
            yield case
