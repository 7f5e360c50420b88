"""Running vignette cases (shared/clinical/VIGNETTES.md) through the live engine and routing."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from .engine import PastCheckIn, Treatment, evaluate_check_in
from .routing import ContactSpec, parse_hours, route


class CaseError(ValueError):
    """A case that is not in the vignette format; the message says where."""


def _contacts(team: dict) -> list[ContactSpec]:
    return [
        ContactSpec(
            name=c["name"],
            handles=frozenset(c["handles"]),
            order=int(c["order"]),
            hours=parse_hours(c["hours"]),
        )
        for c in team["contacts"]
    ]


def run_case(case: dict) -> dict:
    """One case in, one result out: id, urgency, alerting, findings, contact (with a team)."""
    if not isinstance(case, dict) or "id" not in case:
        raise CaseError("a case is a JSON object with an 'id'")
    try:
        history = [PastCheckIn(int(h["days_ago"]), h["answers"]) for h in case.get("history") or []]
        treatment = Treatment(**case["treatment"]) if case.get("treatment") else None
        evaluation = evaluate_check_in(
            case.get("answers") or {},
            case.get("baseline") or {},
            history=history,
            treatment=treatment,
        )
        result = {
            "id": case["id"],
            "urgency": evaluation.urgency,
            "alerting": evaluation.alerting,
            "findings": [f.as_dict() for f in evaluation.findings],
        }
        if case.get("team"):
            tz = ZoneInfo(case["team"]["timezone"])
            at = datetime.fromisoformat(case["at"].replace("Z", "+00:00"))
            chosen = route(_contacts(case["team"]), evaluation.urgency, at, tz)
            result["contact"] = chosen.contact.name if chosen else None
            if chosen:
                result["deliver_at"] = chosen.deliver_at.isoformat()
                result["routing"] = chosen.reason
    except (KeyError, TypeError, ValueError, LookupError) as exc:
        raise CaseError(f"case {case.get('id')!r}: {type(exc).__name__}: {exc}") from exc
    return result


def mismatches(case: dict, result: dict) -> list[str]:
    expect = case.get("expect") or {}
    return [
        f"{key}: expected {expect[key]!r}, got {result.get(key)!r}"
        for key in ("urgency", "alerting", "contact")
        if key in expect and expect[key] != result.get(key)
    ]


def read_cases(path: str):
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CaseError(f"{path}:{number}: not JSON ({exc.msg})") from exc
