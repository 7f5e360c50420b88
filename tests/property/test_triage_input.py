"""Bad input to `manage.py triage` (hypothesis): vignette files with wrong values, wrong
types, unknown keys, malformed JSON or bytes that are not text.

The command either runs every case or stops with a CommandError whose message names the
file and line or the case and the field; never another exception (a traceback). It
never touches the database: these tests have no database access at all (pytest-django
turns any query into an error), and one of them also counts the queries.

The output is written to a strict UTF-8 stream, as a terminal or a pipe would take it.
"""

import copy
import io
import json
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from .support import fuzz

NURSE = {
    "name": "Nurse",
    "handles": ["amber", "red"],
    "order": 1,
    "hours": [{"days": "mon-fri", "start": "09:00", "end": "17:00"}],
}
LINE = {"name": "24-hour line", "handles": ["amber", "red"], "order": 2, "hours": "24/7"}
# A case with every field of the format (shared/clinical/VIGNETTES.md); it passes --check.
VALID = {
    "id": "V1",
    "title": "every field",
    "baseline": {"stools_per_day": 1, "fatigue": 1, "wellbeing": 8},
    "answers": {"stools_per_day": 3, "fatigue": 1, "temperature_c": 37.0, "dark_urine": False},
    "history": [{"days_ago": 1, "answers": {"stools_per_day": 3}}],
    "treatment": {"with_chemotherapy": False, "status": "active"},
    "team": {"timezone": "Europe/London", "contacts": [NURSE, LINE]},
    "at": "2026-11-24T10:00:00Z",
    "expect": {"urgency": "amber", "alerting": ["stools_per_day"], "contact": "Nurse"},
}

# Paths into VALID, and values each path must refuse. ("answers", "nausea") adds the key.
WRONG = {
    ("id",): [None, True, [1], {"a": 1}, 1.5],
    ("title",): [1, ["a"], {"a": "b"}],
    ("answers",): [[], "nausea", 3, True],
    ("answers", "nausea"): [5, -1, 2.5, "2", True, [1], {"a": 1}, 10**30],
    ("answers", "stools_per_day"): [51, -1, 1.5, "3", False, 1e300],
    ("answers", "wellbeing"): [11, -1, "8", 7.5],
    ("answers", "temperature_c"): ["37.5", "NaN", True, [37], {"c": 37}],
    ("answers", "chest_pain"): ["no", "false", 0, 1, "yes", [True]],
    ("answers", "nausa"): [3, 0, None],  # not an item: a typo
    ("answers", ""): [1],
    ("baseline",): [[1], "x", 8],
    ("baseline", "wellbeing"): [12, "8", [8], 8.5],
    ("baseline", "fatigue"): [-1, "1", 9],
    ("history",): ["yesterday", 1, {"days_ago": 1}],
    ("history", 0): ["x", 1, None, []],
    ("history", 0, "days_ago"): [0, -1, "1", 1.5, None, [1], True],
    ("history", 0, "answers"): [[], "x", 1],
    ("history", 0, "answers", "stools_per_day"): [-3, "3", 99],
    ("history", 0, "when"): ["yesterday"],
    ("treatment",): ["active", [1], 1, True],
    ("treatment", "status"): ["paused", 1, None, ["active"]],
    ("treatment", "with_chemotherapy"): ["yes", 1, None],
    ("treatment", "dose"): ["2 mg"],
    ("team",): ["London", 1, [1], True],
    ("team", "timezone"): [1, None, "", "Nowhere/Else", "../../etc/passwd", "Europe/London\x00"],
    ("team", "contacts"): [1, "Nurse", {"name": "Nurse"}, None],
    ("team", "contacts", 0): [1, "Nurse", [], None],
    ("team", "contacts", 0, "name"): [1, None, ["Nurse"]],
    ("team", "contacts", 0, "handles"): ["red", [["red"]], [1], ["purple"], None],
    ("team", "contacts", 0, "order"): ["first", None, 1.5, [1], True],
    ("team", "contacts", 0, "hours"): ["9-5", [], 1, None, {"days": "mon"}, ["mon"]],
    ("team", "contacts", 0, "hours", 0, "days"): [1, None, "someday", ["mon"]],
    ("team", "contacts", 0, "hours", 0, "start"): [9, None, "25:00", "9am", "17:30"],
    ("team", "contacts", 0, "hours", 0, "end"): ["24:01", 17, "08:00"],
    ("team", "contacts", 0, "phone"): ["020 7946 0000"],
    ("team", "city"): ["London"],
    ("at",): [None, 1, "tomorrow", "2026-13-01T00:00:00Z", ["2026-11-24"]],
    ("expect",): ["amber", [1], 1],
    ("expect", "urgency"): ["orange", 1, None, ["amber"]],
    ("expect", "alerting"): ["stools_per_day", [1], 1],
    ("expect", "contact"): [1, ["Nurse"]],
    ("expect", "urgncy"): ["amber"],  # a typo: it would never be compared
    ("notes",): ["an unknown key"],
}


def put(case: dict, path: tuple, value) -> dict:
    case = copy.deepcopy(case)
    target = case
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return case


def drop(case: dict, path: tuple) -> dict:
    case = copy.deepcopy(case)
    target = case
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return case


def strict_stream():
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")


def triage(lines: list, *args) -> tuple[str, CommandError | None]:
    """Run the command on a file of these lines (str, or bytes as they are); returns the
    output and the CommandError, if any. Any other exception fails the test."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        path.write_bytes(
            b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
        )
        out, err = strict_stream(), strict_stream()
        try:
            call_command("triage", *args, str(path), stdout=out, stderr=err)
        except CommandError as exc:
            assert str(exc).strip(), "a CommandError with no message"
            return _text(out), exc
        return _text(out), None


def _text(stream) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8")


def test_the_valid_case_passes():
    out, error = triage([json.dumps(VALID)], "--check")
    assert error is None and out.splitlines()[-1] == "1 passed, 0 failed"


wrong_value = st.sampled_from(sorted(WRONG, key=str)).flatmap(
    lambda path: st.tuples(st.just(path), st.sampled_from(WRONG[path]))
)


@fuzz(120)
@given(wrong=wrong_value, check=st.booleans(), before=st.integers(0, 2))
def test_a_wrong_value_or_unknown_key_stops_with_a_message_naming_case_and_field(
    wrong, check, before
):
    path, value = wrong
    case = put(VALID, path, value)
    lines = [json.dumps({**VALID, "id": f"OK{n}"}) for n in range(before)]
    out, error = triage([*lines, json.dumps(case)], *(["--check"] if check else []))

    assert error is not None, f"{path} = {value!r} was accepted:\n{out}"
    message = str(error)
    if path != ("id",):
        assert repr(case["id"]) in message, message
        named = [step for step in path if isinstance(step, str) and step]
        assert (
            named[-1] in message
            or (isinstance(value, str) and value in message)
            or (len(path) == 1 and "unknown key" in message)
        ), message
    if not check:  # the cases before it were run and printed
        assert [json.loads(line)["id"] for line in out.splitlines()] == [
            f"OK{n}" for n in range(before)
        ]


REQUIRED = [
    ("id",),
    ("team", "timezone"),
    ("team", "contacts"),
    ("team", "contacts", 0, "name"),
    ("team", "contacts", 0, "handles"),
    ("team", "contacts", 0, "order"),
    ("team", "contacts", 0, "hours"),
    ("team", "contacts", 0, "hours", 0, "days"),
    ("team", "contacts", 0, "hours", 0, "start"),
    ("team", "contacts", 0, "hours", 0, "end"),
    ("history", 0, "days_ago"),
    ("at",),
]


@pytest.mark.parametrize("path", REQUIRED, ids=lambda path: ".".join(map(str, path)))
def test_a_missing_field_stops_with_a_message(path):
    _out, error = triage([json.dumps(drop(VALID, path))])
    assert error is not None
    assert path[-1] in str(error) or (path == ("id",) and "'id'" in str(error))


# Anything at all -------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and Infinity too, which are not JSON
    st.text(max_size=20),
    st.sampled_from(["\ud800", "a\udfff", "\x00", "\x1b[2J", "24/7", "mon-fri", "red"]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=10,
)
FIELDS = list(VALID)
any_path = st.sampled_from(sorted(WRONG, key=str))


@fuzz(120)
@given(
    path=any_path,
    value=json_values,
    check=st.booleans(),
)
def test_any_value_anywhere_runs_or_stops_with_a_command_error(path, value, check):
    """Values that may be right or wrong: the command runs the case or says why not."""
    out, error = triage([json.dumps(put(VALID, path, value))], *(["--check"] if check else []))
    if error is None and not check:
        result = json.loads(out)
        assert result["urgency"] in ("green", "amber", "red", "emergency")


@fuzz(60)
@given(
    case=st.one_of(
        json_values,
        st.dictionaries(st.sampled_from([*FIELDS, "other"]), json_values, max_size=6),
        st.fixed_dictionaries(
            {"id": st.text(max_size=5)},
            optional={field: json_values for field in FIELDS if field != "id"},
        ),
    ),
    check=st.booleans(),
)
def test_any_json_line_runs_or_stops_with_a_command_error(case, check):
    triage([json.dumps(case)], *(["--check"] if check else []))


MALFORMED = [
    '{"id": "A", "answers": {',
    '{"id": "A", "answers": {"nausea": 1}',
    '{"id": "A",, "answers": {}}',
    "{'id': 'A'}",
    '{"id": "A", "answers": {"nausea": 01}}',
    '{"id": "A", "answers": {"temperature_c": NaN}}',
    '{"id": "A", "answers": {"temperature_c": -Infinity}}',
    '{"id": "A", "answers": {"nausea": ' + "9" * 5000 + "}}",
    "[" * 100_000,
    '{"id": "A"} {"id": "B"}',
    '{"id": "A"}\x00',
    "\ufeff\ufeff{}",
    "undefined",
    '"\\ud800"',
]


@fuzz(60)
@given(
    line=st.one_of(
        st.sampled_from(MALFORMED),
        st.text(max_size=80).filter(lambda text: "\n" not in text),
        st.binary(max_size=80).filter(lambda raw: b"\n" not in raw),
        st.integers(1, len(json.dumps(VALID)) - 1).map(lambda n: json.dumps(VALID)[:n]),
    ),
    check=st.booleans(),
)
def test_malformed_lines_stop_with_a_command_error_naming_the_line(line, check):
    lines = [json.dumps(VALID), "", line]
    out, error = triage(lines, *(["--check"] if check else []))
    if error is not None and ("not JSON" in str(error) or "not UTF-8" in str(error)):
        assert "cases.jsonl:3: " in str(error)  # the line, after a good one and a blank one
    elif error is None:
        assert len(out.splitlines()) in (1, 2)


def test_a_byte_order_mark_is_not_part_of_the_first_case():
    out, error = triage([b"\xef\xbb\xbf" + json.dumps(VALID).encode()], "--check")
    assert error is None and out.splitlines()[-1] == "1 passed, 0 failed"


def test_text_that_is_not_utf_8_is_a_command_error_naming_the_line():
    _out, error = triage([json.dumps(VALID), b'{"id": "\xff"}'])
    assert error is not None and "cases.jsonl:2: not UTF-8 text" in str(error)


def test_a_lone_surrogate_is_a_command_error_not_a_crash_of_the_output():
    case = {**VALID, "id": "\ud800"}
    _out, error = triage([json.dumps(case)])
    assert error is not None and "not valid Unicode" in str(error)


@pytest.mark.parametrize("name", ["\x00", "nowhere/\x00.jsonl"])
def test_a_file_name_with_a_nul_byte_is_a_command_error(name):
    with pytest.raises(CommandError):
        call_command("triage", name, stdout=strict_stream())


def test_an_instant_at_the_end_of_the_calendar_is_a_command_error():
    case = {**VALID, "answers": {"dark_urine": True}, "at": "9999-12-31T23:59:59Z"}
    case["team"] = {"timezone": "Pacific/Kiritimati", "contacts": [NURSE]}
    _out, error = triage([json.dumps(case)])
    assert error is not None and "'at'" not in str(error) and "at: " in str(error)


def test_an_instant_without_an_offset_is_read_as_utc():
    """VIGNETTES.md: `at` is in UTC. Without an offset it was read in the server's zone
    (TIME_ZONE, London: 08:30 would be 07:30 UTC in summer, before the nurse's hours)."""
    case = {**VALID, "answers": {"dark_urine": True}, "at": "2026-07-14T08:30:00"}
    case["team"] = {"timezone": "Europe/London", "contacts": [NURSE]}
    del case["expect"]
    out, error = triage([json.dumps(case)])
    assert error is None
    assert json.loads(out)["deliver_at"] == "2026-07-14T08:30:00+00:00"


@pytest.mark.django_db
def test_the_command_makes_no_query(settings):
    lines = [json.dumps(VALID), json.dumps(put(VALID, ("answers", "nausea"), "x"))]
    with CaptureQueriesContext(connection) as queries:
        triage(lines, "--check")
    assert len(queries) == 0
