"""The API's searches: their parameters, read strictly, and keyset paging.

Each searchable type has the parameters a record needs and no others; anything
else, a `_` parameter we do not implement included, is a 400 (an OperationOutcome),
never silently ignored, so a client never takes a wider result for the one it asked.

- Patient: `identifier` = `system|value`, `|value` or `value` (the hospital number).
- QuestionnaireResponse: `patient`, `authored`.
- Observation: `patient`, `code` (`system|code` or `code`, any of a comma list),
  `date` (the check-in's time).
- Flag: `patient`, `status` (`active`, `inactive`).
- Communication: `patient`.

`patient` is `123`, `Patient/123` or a comma list of them. A date is `YYYY`,
`YYYY-MM`, `YYYY-MM-DD` (in the server's time zone, TIME_ZONE) or a dateTime with its
offset, after a prefix `eq` (the default), `ge`, `le`, `gt` or `lt`; a date is the
whole of that period (`le2026-05-01` includes all of May 1st). Several dates must all
hold.

Paging: newest first (by id, descending), `_count` a page (default 50, at most 200),
and a `next` link with `_cursor`: the id the next page starts below (keyset), so a
page costs the same however deep it is and no row is skipped or repeated when new ones
arrive. Observations page by check-in: `_cursor=<check-in id>.<observations of it
already given>`.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from clinical.catalogue import ITEMS

from . import codes
from .responses import ApiError

DEFAULT_COUNT = 50
MAX_COUNT = 200
CONTROL = {"_count", "_cursor", "_format"}
FORMATS = {"json", "application/json", "application/fhir+json"}
PARAMETERS = {
    "Patient": {"identifier"},
    "QuestionnaireResponse": {"patient", "authored"},
    "Observation": {"patient", "code", "date"},
    "Flag": {"patient", "status"},
    "Communication": {"patient"},
}
DATE_PARAMETERS = {"authored", "date"}
PREFIXES = ("eq", "ge", "le", "gt", "lt")
FLAG_STATUSES = {"active": ("open", "acknowledged"), "inactive": ("resolved",)}


def bad(diagnostics: str) -> ApiError:
    return ApiError(400, "invalid", diagnostics)


@dataclass
class Search:
    kind: str
    params: dict[str, list[str]] = field(default_factory=dict)
    count: int = DEFAULT_COUNT
    cursor: tuple[int, int] | None = None  # (id, observations already given of it)


def parse(kind: str, query) -> Search:
    """The search asked by `query` (request.GET) of `kind`, or ApiError 400."""
    allowed = PARAMETERS[kind]
    search = Search(kind)
    for name, values in query.lists():
        if name not in allowed and name not in CONTROL:
            known = ", ".join(sorted(allowed | CONTROL))
            raise bad(f"Unknown search parameter {name[:40]!r} for {kind} (known: {known}).")
        if name == "_format":
            if any(v not in FORMATS for v in values):
                raise bad("_format: only JSON (application/fhir+json) is served.")
            continue
        if name == "_count":
            search.count = _count(values)
            continue
        if name == "_cursor":
            search.cursor = _cursor(values)
            continue
        if any(v == "" for v in values):
            raise bad(f"{name}: a value is needed.")
        if name not in DATE_PARAMETERS and len(values) > 1:
            raise bad(f"{name}: give it once (a comma list for any of several values).")
        if name in DATE_PARAMETERS:
            for value in values:
                date_range(name, value)  # refused now, before anything is read
        search.params[name] = values
    return search


def _count(values) -> int:
    if len(values) != 1 or not _digits(values[0]) or not 1 <= int(values[0]) <= MAX_COUNT:
        raise bad(f"_count: a whole number from 1 to {MAX_COUNT}.")
    return int(values[0])


def _cursor(values) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,18})(?:\.(\d{1,4}))?", values[0]) if len(values) == 1 else None
    if match is None:
        raise bad("_cursor: use the next link as it was given.")
    return int(match[1]), int(match[2] or 0)


# Values.


def patient_ids(value: str) -> list[int]:
    """`123`, `Patient/123` or a full URL ending so, comma-separated: the ids. Anything
    else names no patient of ours, and matches nothing."""
    ids = []
    for part in value.split(","):
        match = re.fullmatch(r"(?:.*/)?(?:Patient/)?(\d{1,18})", part.strip())
        if match is not None:
            ids.append(int(match[1]))
    return ids


def date_range(name: str, value: str) -> tuple[str, datetime, datetime]:
    """(prefix, start, end) of a date parameter's value: the instants [start, end) the
    value covers."""
    prefix, text = ("eq", value)
    if value[:2] in PREFIXES:
        prefix, text = value[:2], value[2:]
    elif value[:2].isalpha():
        raise bad(f"{name}: the prefixes are {', '.join(PREFIXES)} ({value[:40]!r}).")
    zone = ZoneInfo(settings.TIME_ZONE)
    try:
        if re.fullmatch(r"\d{4}", text):
            start = datetime(int(text), 1, 1, tzinfo=zone)
            end = start.replace(year=start.year + 1)
        elif re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = map(int, text.split("-"))
            start = datetime(year, month, 1, tzinfo=zone)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(), tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})", text):
            start = parse_datetime(text.replace("Z", "+00:00"))
            if start is None:
                raise ValueError(text)
            # To the second FHIR gives: the instant's whole second (or fraction given).
            end = start + (timedelta(microseconds=1) if "." in text else timedelta(seconds=1))
        else:
            raise ValueError(text)
    except (ValueError, OverflowError):  # OverflowError: a day after 9999-12-31
        raise bad(
            f"{name}: {value[:40]!r} is not a date (YYYY, YYYY-MM, YYYY-MM-DD, or a "
            "dateTime with its offset, after eq, ge, le, gt or lt)."
        ) from None
    return prefix, start, end


def date_filter(field_name: str, name: str, values) -> Q:
    condition = Q()
    for value in values:
        prefix, start, end = date_range(name, value)
        condition &= {
            "eq": Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end}),
            "ge": Q(**{f"{field_name}__gte": start}),
            "gt": Q(**{f"{field_name}__gte": end}),
            "le": Q(**{f"{field_name}__lt": end}),
            "lt": Q(**{f"{field_name}__lt": start}),
        }[prefix]
    return condition


def identifier(value: str) -> tuple[str | None, str]:
    """(system or None for any, value) of a token."""
    if "|" in value:
        system, _, number = value.partition("|")
        return system, number
    return None, value


def items_for_codes(value: str) -> list[str]:
    """The catalogue items (their keys) any of a comma list of tokens names: by the
    tracker's own code, or by a published one (SNOMED CT, LOINC)."""
    wanted = [identifier(token.strip()) for token in value.split(",")]
    keys = []
    for item in ITEMS:
        for coding in codes.item_codings(item):
            if any(
                code == coding["code"] and (system is None or system == coding["system"])
                for system, code in wanted
            ):
                keys.append(item.key)
                break
    return keys


def observation_id_parts(pk: str) -> tuple[int, str] | None:
    """(check-in id, item key) of an Observation id "<check-in>-<item-key>"."""
    match = re.fullmatch(r"(\d{1,18})-([a-z0-9-]{1,60})", pk)
    if match is None:
        return None
    key = match[2].replace("-", "_")
    return (int(match[1]), key) if any(item.key == key for item in ITEMS) else None


def _digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() also takes "²", which int() refuses."""
    return text.isascii() and text.isdecimal()
