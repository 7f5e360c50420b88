"""The searches: each parameter, `_count` paging with next links (keyset), errors as
OperationOutcome 400, and a page's queries bounded whatever its size."""
# ruff: noqa: F811 (the fixtures `epr` and `token` are imported from .api)

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from .api import epr, get, ids, next_link, ok, outcome, token  # noqa: F401
from .helpers import story

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(patient, nurse, carer):
    return story(patient, nurse=nurse, carer=carer)


def test_patient_by_identifier(client, token, patient, settings):
    system = settings.FHIR_PATIENT_IDENTIFIER_SYSTEM
    number = patient.hospital_number
    for value in (number, f"{system}|{number}"):
        assert ids(ok(get(client, token, "Patient", identifier=value))) == [str(patient.pk)]
    assert ids(ok(get(client, token, "Patient", identifier=f"urn:other|{number}"))) == []
    assert ids(ok(get(client, token, "Patient", identifier="H-NOT-OURS"))) == []
    assert ids(ok(get(client, token, "Patient"))) == [str(patient.pk)]


def test_questionnaire_responses_by_patient_and_authored(client, token, told, patient):
    check_ins = told["check_ins"]
    everyone = ok(get(client, token, "QuestionnaireResponse", patient=patient.pk))
    assert ids(everyone) == [str(c.pk) for c in sorted(check_ins, key=lambda c: -c.pk)]
    assert ids(ok(get(client, token, "QuestionnaireResponse", patient=f"Patient/{patient.pk}")))
    first = check_ins[0].submitted_at
    day = timezone.localtime(first).date()  # dates are read in the server's zone
    recent = ok(
        get(client, token, "QuestionnaireResponse", patient=patient.pk, authored=f"gt{day}")
    )
    assert str(check_ins[0].pk) not in ids(recent) and ids(recent)
    on_day = ok(get(client, token, "QuestionnaireResponse", authored=f"eq{day}"))
    assert str(check_ins[0].pk) in ids(on_day)
    before = ok(
        get(
            client,
            token,
            "QuestionnaireResponse",
            authored=[
                f"ge{day - timedelta(days=1)}",
                f"lt{day + timedelta(days=1)}",
            ],
        )
    )
    assert str(check_ins[0].pk) in ids(before)
    instant = (first + timedelta(seconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(ok(get(client, token, "QuestionnaireResponse", authored=f"le{instant}")))[-1] == str(
        check_ins[0].pk
    )
    assert ids(ok(get(client, token, "QuestionnaireResponse", authored="2001"))) == []


def test_observations_by_patient_code_and_date(client, token, told, patient, settings):
    stools = ok(get(client, token, "Observation", patient=patient.pk, code="stools_per_day"))
    assert len(ids(stools)) == 3
    assert all(i.endswith("-stools-per-day") for i in ids(stools))
    own = f"{settings.FHIR_CODE_SYSTEM_URL}|temperature_c"
    loinc = "http://loinc.org|8310-5"
    for code in (own, loinc, "8310-5"):
        assert len(ids(ok(get(client, token, "Observation", code=code)))) == 3, code
    both = ok(get(client, token, "Observation", code="stools_per_day,cough"))
    assert len(ids(both)) == 4
    assert ids(ok(get(client, token, "Observation", code="http://loinc.org|stools_per_day"))) == []
    today = timezone.localdate()
    recent = ok(get(client, token, "Observation", code="stools_per_day", date=f"ge{today}"))
    assert ids(recent) == []
    everything = ok(get(client, token, "Observation", patient=patient.pk, _count="200"))
    assert len(ids(everything)) == sum(len(c.answered()) for c in told["check_ins"])


def test_flags_by_patient_and_status(client, token, told, patient):
    active = told["flags"][0].episode
    resolved = told["flags"][-1].episode
    assert ids(ok(get(client, token, "Flag", patient=patient.pk, status="active"))) == [
        str(active.pk)
    ]
    assert ids(ok(get(client, token, "Flag", status="inactive"))) == [str(resolved.pk)]
    assert set(ids(ok(get(client, token, "Flag", status="active,inactive")))) == {
        str(active.pk),
        str(resolved.pk),
    }
    outcome(get(client, token, "Flag", status="maybe"), 400)


def test_communications_by_patient(client, token, told, patient):
    found = ok(get(client, token, "Communication", patient=patient.pk))
    assert set(ids(found)) == {str(n.pk) for n in told["notifications"]}


def walk(client, token, kind, **params):
    """Every page of a search, following next links: (ids in order, pages)."""
    bundle = ok(get(client, token, kind, **params))
    seen, pages = ids(bundle), 1
    while link := next_link(bundle):
        bundle = ok(client.get(link, HTTP_AUTHORIZATION=f"Bearer {token}"))
        seen += ids(bundle)
        pages += 1
    return seen, pages


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_paging_gives_every_row_once(client, token, told, patient, count):
    for kind in ("QuestionnaireResponse", "Communication", "Flag", "Observation"):
        whole = ids(ok(get(client, token, kind, patient=patient.pk, _count="200")))
        paged, pages = walk(client, token, kind, patient=patient.pk, _count=str(count))
        assert paged == whole, kind
        assert pages >= len(whole) // count


def test_a_page_has_count_entries_and_a_next_link(client, token, told, patient):
    bundle = ok(get(client, token, "Observation", patient=patient.pk, _count="4"))
    assert len(bundle["entry"]) == 4
    link = next_link(bundle)
    assert link.startswith("http://testserver/fhir/r4/Observation?")
    assert "_cursor=" in link and "_count=4" in link and f"patient={patient.pk}" in link
    last = ok(get(client, token, "Flag", _count="200"))
    assert next_link(last) is None


@pytest.mark.parametrize(
    "kind,params",
    [
        ("Patient", {"name": "Morgan"}),
        ("Flag", {"_sort": "date"}),
        ("Observation", {"subject": "1"}),
        ("QuestionnaireResponse", {"authored": "yesterday"}),
        ("QuestionnaireResponse", {"authored": "2026-13-01"}),
        ("Observation", {"date": "xx2026-01-01"}),
        ("Observation", {"date": "2026-01-01T10:00"}),
        ("Flag", {"_count": "0"}),
        ("Flag", {"_count": "1000"}),
        ("Flag", {"_count": "ten"}),
        ("Flag", {"_count": "²"}),  # a digit to str.isdigit(), not to int()
        ("QuestionnaireResponse", {"authored": "9999-12-31"}),  # its next day overflows
        ("Observation", {"date": "ge9999-12-31T23:59:59Z"}),
        ("Flag", {"_cursor": "abc"}),
        ("Flag", {"patient": ""}),
        ("Communication", {"_format": "xml"}),
        ("CareTeam", {}),
    ],
)
def test_a_bad_search_is_a_400_operation_outcome(client, token, patient, kind, params):
    body = outcome(get(client, token, kind, **params), 400)
    assert body["issue"][0]["severity"] == "error"


def queries_of(client, token, url):
    with CaptureQueriesContext(connection) as captured:
        ok(
            get(client, token, url)
            if not url.startswith("http")
            else client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        )
    return len(captured.captured_queries)


def test_a_page_costs_the_same_queries_whatever_its_size(client, token, told, patient):
    for kind in ("Patient", "QuestionnaireResponse", "Observation", "Flag", "Communication"):
        small = queries_of(client, token, f"{kind}?_count=1")
        large = queries_of(client, token, f"{kind}?_count=200")
        assert small == large, kind
        assert large <= 8, kind
    story(patient, days=6)  # more rows, same cost
    for kind in ("QuestionnaireResponse", "Observation", "Communication"):
        assert queries_of(client, token, f"{kind}?_count=200") <= 8, kind
