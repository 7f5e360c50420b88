"""The `triage` management command (shared/clinical/VIGNETTES.md). No database access."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

VIGNETTES = Path(__file__).resolve().parents[3] / "shared" / "clinical" / "vignettes.jsonl"

TEAM = {
    "timezone": "Europe/London",
    "contacts": [
        {
            "name": "Nurse",
            "handles": ["amber", "red"],
            "order": 1,
            "hours": [{"days": "mon-fri", "start": "09:00", "end": "17:00"}],
        },
        {"name": "Registrar", "handles": ["red"], "order": 2, "hours": "24/7"},
    ],
}


def triage(*args) -> str:
    out = StringIO()
    call_command("triage", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def triage_failing(*args) -> tuple[str, CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("triage", *[str(a) for a in args], stdout=out)
    return out.getvalue(), caught.value


def write_cases(path: Path, *cases) -> Path:
    path.write_text(
        "".join((c if isinstance(c, str) else json.dumps(c)) + "\n" for c in cases),
        encoding="utf-8",
    )
    return path


def case(id_, answers, expect=None, **extra):
    return {"id": id_, "title": f"case {id_}", "answers": answers, **extra} | (
        {"expect": expect} if expect is not None else {}
    )


needs_vignettes = pytest.mark.skipif(
    not VIGNETTES.is_file(), reason=f"{VIGNETTES} is not there (shared/clinical not checked out)"
)


@needs_vignettes
def test_it_passes_every_public_vignette():
    output = triage("--check", VIGNETTES)
    assert output.splitlines()[-1] == "30 passed, 0 failed"
    assert "FAIL" not in output


@needs_vignettes
def test_it_prints_one_result_a_line_for_the_public_vignettes():
    lines = triage(VIGNETTES).splitlines()
    cases = [
        json.loads(line) for line in VIGNETTES.read_text(encoding="utf-8").splitlines() if line
    ]
    assert [json.loads(line)["id"] for line in lines] == [c["id"] for c in cases]


def test_it_reports_a_mismatch_and_fails(tmp_path):
    path = write_cases(
        tmp_path / "cases.jsonl",
        case("OK1", {"nausea": 1}, {"urgency": "green", "alerting": []}),
        case("BAD1", {"chest_pain": True}, {"urgency": "red", "alerting": ["chest_pain"]}),
    )
    output, error = triage_failing("--check", path)
    lines = output.splitlines()
    assert "FAIL BAD1 (case BAD1)" in lines
    assert "  urgency: expected 'red', got 'emergency'" in lines
    assert not any("OK1" in line for line in lines)
    assert lines[-1] == "1 passed, 1 failed"
    assert "1 of 2 cases" in str(error)


def test_it_reports_a_wrong_alerting_list_and_contact(tmp_path):
    path = write_cases(
        tmp_path / "cases.jsonl",
        case(
            "BAD2",
            {"nausea": 3},
            {"urgency": "amber", "alerting": ["fatigue"], "contact": "Registrar"},
            team=TEAM,
            at="2026-11-24T10:00:00Z",
        ),
    )
    output, _ = triage_failing("--check", path)
    assert "  alerting: expected ['fatigue'], got ['nausea']" in output
    assert "  contact: expected 'Registrar', got 'Nurse'" in output
    assert "urgency:" not in output
    assert output.splitlines()[-1] == "0 passed, 1 failed"


def test_it_names_the_line_of_malformed_json(tmp_path):
    path = write_cases(
        tmp_path / "broken.jsonl",
        case("A", {"nausea": 1}),
        '{"id": "B", "answers": {',
    )
    _, error = triage_failing("--check", path)
    assert f"{path}:2" in str(error)
    assert "not JSON" in str(error)


def test_it_skips_blank_lines(tmp_path):
    path = write_cases(
        tmp_path / "blank.jsonl",
        case("A", {"nausea": 1}, {"urgency": "green"}),
        "",
        "   ",
        case("B", {"dark_urine": True}, {"urgency": "amber"}),
    )
    assert triage("--check", path).splitlines()[-1] == "2 passed, 0 failed"


def test_it_fails_on_a_missing_file(tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    _, error = triage_failing("--check", missing)
    assert "cannot read" in str(error)
    assert str(missing) in str(error)


def test_it_fails_on_a_case_without_an_id(tmp_path):
    path = write_cases(tmp_path / "noid.jsonl", {"answers": {"nausea": 1}})
    _, error = triage_failing(path)
    assert "'id'" in str(error)


def test_it_names_the_case_with_bad_contact_hours(tmp_path):
    team = {
        "timezone": "Europe/London",
        "contacts": [
            {
                "name": "Night",
                "handles": ["red"],
                "order": 1,
                "hours": [{"days": "mon", "start": "17:00", "end": "09:00"}],
            }
        ],
    }
    path = write_cases(
        tmp_path / "hours.jsonl",
        case("H1", {"chest_pain": True}, team=team, at="2026-11-24T10:00:00Z"),
    )
    _, error = triage_failing(path)
    assert "'H1'" in str(error)
    assert "midnight" in str(error)


def test_it_prints_one_json_result_a_line_without_check(tmp_path):
    path = write_cases(
        tmp_path / "cases.jsonl",
        case(
            "T1",
            {"stools_per_day": 3, "fatigue": 2},
            {"urgency": "green"},  # not compared without --check
            baseline={"stools_per_day": 1, "fatigue": 1},
            team=TEAM,
            at="2026-11-24T10:00:00Z",
        ),
        case("T2", {"chest_pain": True}, team=TEAM, at="2026-11-28T12:00:00Z"),
        case("T3", {"nausea": 0}),
    )
    output = triage(path)
    lines = output.splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)

    assert {"id", "urgency", "alerting", "findings", "contact"} <= first.keys()
    assert first["id"] == "T1"
    assert first["urgency"] == "amber"
    assert first["alerting"] == ["stools_per_day"]
    assert first["contact"] == "Nurse"
    assert [(f["symptom"], f["urgency"], f["rule"]) for f in first["findings"]] == [
        ("stools_per_day", "amber", "R1"),
        ("fatigue", "green", "R8"),
    ]
    for finding in first["findings"]:
        assert finding["explanation"]

    assert (second["urgency"], second["alerting"], second["contact"]) == (
        "emergency",
        ["chest_pain"],
        "Registrar",
    )
    assert third == {"id": "T3", "urgency": "green", "alerting": [], "findings": []}
    assert "passed" not in output


def test_it_gives_no_contact_for_green_with_a_team(tmp_path):
    path = write_cases(
        tmp_path / "green.jsonl", case("G1", {}, team=TEAM, at="2026-11-24T10:00:00Z")
    )
    result = json.loads(triage(path))
    assert result["contact"] is None


def test_it_reads_several_files(tmp_path):
    one = write_cases(tmp_path / "one.jsonl", case("A", {"nausea": 3}, {"urgency": "amber"}))
    two = write_cases(
        tmp_path / "two.jsonl",
        case("B", {"nausea": 3, "dark_urine": True}, {"urgency": "red"}),
        case("C", {"fainting": True}, {"urgency": "red"}),
    )
    assert triage("--check", one, two).splitlines()[-1] == "3 passed, 0 failed"
    assert [json.loads(line)["id"] for line in triage(one, two).splitlines()] == ["A", "B", "C"]


def test_it_uses_history_and_treatment_from_the_case(tmp_path):
    path = write_cases(
        tmp_path / "history.jsonl",
        case(
            "R14",
            {"fatigue": 3},
            {"urgency": "red", "alerting": ["fatigue"]},
            history=[
                {"days_ago": 1, "answers": {"fatigue": 3}},
                {"days_ago": 2, "answers": {"fatigue": 3}},
            ],
        ),
        case(
            "CHEMO",
            {"temperature_c": 37.6},
            {"urgency": "red", "alerting": ["temperature_c"]},
            treatment={"with_chemotherapy": True, "status": "active"},
        ),
    )
    assert triage("--check", path).splitlines()[-1] == "2 passed, 0 failed"
