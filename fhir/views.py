"""The read API at /fhir/r4/ (README "API (FHIR R4)").

Every view but `metadata` and the SMART configuration (open, as FHIR and SMART ask)
is a `token_view`: the client of the bearer token reads its teams' patients only
(fhir/access.py); a row outside them is a 404 like one that does not exist. Rows
are read through fhir/queries.py, so that a page costs a fixed number of queries
whatever its size, and every answer that shows a patient's data is in the audit
trail (fhir/audit.py) before it is sent.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.views import TokenView

from alerts.models import Notification
from patients.audit import term_ref
from patients.models import CareTeam, CheckIn, Episode, Flag, Patient

from . import access, builders, queries
from .audit import record_reads
from .auth import open_view, token_view
from .capability import capability_statement, smart_configuration_document
from .everything import everything_bundle
from .responses import ApiError, fhir_response, not_found
from .search import (
    FLAG_STATUSES,
    date_filter,
    identifier,
    items_for_codes,
    observation_id_parts,
    parse,
    patient_ids,
)


def base(request) -> str:
    """The FHIR base as the client reached it."""
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("/metadata")


# The token endpoint: django-oauth-toolkit's, marked for TokenOnlyMiddleware (it is
# already exempt from CSRF: a client authenticates with its own credentials).
token = TokenView.as_view()
token.fhir_token_only = True


@open_view
def metadata(request):
    return fhir_response(capability_statement(base(request), request))


@open_view
def smart_configuration(request):
    return fhir_response(smart_configuration_document(request))


# Read by id.


def _int(pk: str, kind: str) -> int:
    if not (pk.isascii() and pk.isdecimal()) or len(pk) > 18:
        raise not_found(kind, pk)
    return int(pk)


def _one(queryset, kind: str, pk: str):
    found = queryset.filter(pk=_int(pk, kind)).first()
    if found is None:
        raise not_found(kind, pk)
    return found


def _read_patient(client, pk):
    patient = _one(
        queries.patients().filter(pk__in=access.patients(client).values("pk")), "Patient", pk
    )
    return builders.patient_resource(patient), patient.pk, patient


def _read_practitioner(client, pk):
    user = _one(access.practitioners(client), "Practitioner", pk)
    return builders.practitioner_resource(user), None, user


def _read_team(builder, kind):
    def read(client, pk):
        team = _one(queries.care_teams().filter(pk__in=client.team_ids), kind, pk)
        return builder(team), None, team

    return read


def _read_group(client, pk):
    """A care team as the Group of its patients (Group/{id}/$export's)."""
    team = _one(CareTeam.objects.filter(pk__in=client.team_ids), "Group", pk)
    return builders.group_resource(team, team.patients.count()), None, team


def _read_fixed(kind, fixed_id, builder):
    def read(client, pk):
        if pk != fixed_id:
            raise not_found(kind, pk)
        return builder(), None, None

    return read


def _read_questionnaire_response(client, pk):
    check_in = _one(queries.check_ins_of(access.patients(client)), "QuestionnaireResponse", pk)
    return builders.questionnaire_response_resource(check_in), check_in.patient_id, check_in


def _read_observation(client, pk):
    parts = observation_id_parts(pk)
    if parts is None:
        raise not_found("Observation", pk)
    check_in = queries.check_ins_of(access.patients(client)).filter(pk=parts[0]).first()
    wanted = builders.observation_id(parts[0], parts[1])
    found = (
        [o for o in builders.observation_resources(check_in) if o["id"] == wanted]
        if check_in
        else []
    )
    if not found:
        raise not_found("Observation", pk)
    return found[0], check_in.patient_id, check_in


def _read_flag(client, pk):
    episode = _one(queries.episodes_of(access.patients(client)), "Flag", pk)
    return builders.flag_resource(episode), episode.patient_id, episode


def _read_detected_issue(client, pk):
    flag = _one(queries.flags_of(access.patients(client)), "DetectedIssue", pk)
    return builders.detected_issue_resource(flag), flag.check_in.patient_id, flag


def _read_communication(client, pk):
    notification = _one(queries.notifications_of(access.patients(client)), "Communication", pk)
    patient_id = notification.alert.check_in.patient_id
    return builders.communication_resource(notification), patient_id, notification


READERS = {
    "Patient": (_read_patient, Patient),
    "Practitioner": (_read_practitioner, None),
    "CareTeam": (_read_team(builders.care_team_resource, "CareTeam"), CareTeam),
    "Organization": (_read_team(builders.organization_resource, "Organization"), CareTeam),
    "Group": (_read_group, CareTeam),
    "Questionnaire": (
        _read_fixed("Questionnaire", builders.QUESTIONNAIRE_ID, builders.questionnaire_resource),
        None,
    ),
    "CodeSystem": (
        _read_fixed("CodeSystem", "symptom-tracker", builders.code_system_resource),
        None,
    ),
    "QuestionnaireResponse": (_read_questionnaire_response, CheckIn),
    "Observation": (_read_observation, CheckIn),
    "Flag": (_read_flag, Episode),
    "DetectedIssue": (_read_detected_issue, Flag),
    "Communication": (_read_communication, Notification),
}


def _known(kind: str) -> None:
    if kind not in READERS:
        raise ApiError(404, "not-supported", f"Resource type {kind[:40]!r} is not served here.")


@token_view
def read(request, kind, pk):
    _known(kind)
    request.client.require(kind)
    reader, model = READERS[kind]
    resource, patient_id, obj = reader(request.client, pk)
    if model is None and obj is not None:
        model = get_user_model()  # a Practitioner
    record_reads(request, [patient_id], model=model, detail=f"read {kind}/{pk}", object_id=str(pk))
    return fhir_response(resource)


@token_view(methods=("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
def unknown(request):
    """Any other path under /fhir/: 404 as an OperationOutcome (after the token, as
    every API path), never the site's HTML page."""
    raise ApiError(404, "not-found", "This path is not part of the API: GET metadata lists it.")


@token_view
def everything(request, pk):
    request.client.require("Patient")
    if request.GET:
        raise ApiError(400, "not-supported", "$everything takes no parameters here.")
    patient = _one(access.patients(request.client), "Patient", pk)
    bundle = everything_bundle(patient, base=base(request))
    record_reads(
        request, [patient.pk], model=Patient, detail=f"Patient/{pk}/$everything", object_id=str(pk)
    )
    return fhir_response(bundle)


# Search.


def _patients_param(client, search):
    patients = access.patients(client)
    if "patient" in search.params:
        patients = patients.filter(pk__in=patient_ids(search.params["patient"][0]))
    return patients


def _after(queryset, search):
    """Newest first, below the cursor: the next page of a keyset."""
    if search.cursor is not None:
        queryset = queryset.filter(pk__lt=search.cursor[0])
    return queryset.order_by("-pk")


def _search_patients(client, search):
    rows = queries.patients().filter(pk__in=access.patients(client).values("pk"))
    if "identifier" in search.params:
        system, value = identifier(search.params["identifier"][0])
        if system not in (None, settings.FHIR_PATIENT_IDENTIFIER_SYSTEM):
            rows = rows.none()
        rows = rows.filter(hospital_number=value)
    return _after(rows, search), lambda p: [builders.patient_resource(p)], lambda p: p.pk


def _search_responses(client, search):
    rows = queries.check_ins_of(_patients_param(client, search))
    if "authored" in search.params:
        rows = rows.filter(date_filter("submitted_at", "authored", search.params["authored"]))
    build = lambda c: [builders.questionnaire_response_resource(c)]  # noqa: E731
    return _after(rows, search), build, lambda c: c.patient_id


def _search_flags(client, search):
    rows = queries.episodes_of(_patients_param(client, search))
    if "status" in search.params:
        statuses = [s.strip() for s in search.params["status"][0].split(",")]
        unknown = [s for s in statuses if s not in FLAG_STATUSES and s != "entered-in-error"]
        if unknown:
            raise ApiError(
                400, "invalid", f"status: one of active, inactive ({unknown[0][:20]!r})."
            )
        rows = rows.filter(status__in=[x for s in statuses for x in FLAG_STATUSES.get(s, ())])
    return _after(rows, search), lambda e: [builders.flag_resource(e)], lambda e: e.patient_id


def _search_communications(client, search):
    rows = queries.notifications_of(_patients_param(client, search))
    build = lambda n: [builders.communication_resource(n)]  # noqa: E731
    return _after(rows, search), build, lambda n: n.alert.check_in.patient_id


def _search_observations(client, search):
    rows = queries.check_ins_of(_patients_param(client, search))
    keys = None
    if "code" in search.params:
        keys = items_for_codes(search.params["code"][0])
        answered = Q()
        for key in keys:
            answered |= Q(**{f"{key}__isnull": False})
        rows = rows.filter(answered) if keys else rows.none()
    if "date" in search.params:
        rows = rows.filter(date_filter("submitted_at", "date", search.params["date"]))
    if search.cursor is not None:  # from the check-in it stopped in, on
        rows = rows.filter(pk__lte=search.cursor[0])
    wanted = (
        None if keys is None else {builders.observation_id(0, k).split("-", 1)[1] for k in keys}
    )

    def build(check_in):
        observations = builders.observation_resources(check_in)
        if wanted is not None:
            observations = [o for o in observations if o["id"].split("-", 1)[1] in wanted]
        return observations

    return rows.order_by("-pk"), build, lambda c: c.patient_id


SEARCHES = {
    "Patient": (_search_patients, Patient),
    "QuestionnaireResponse": (_search_responses, CheckIn),
    "Observation": (_search_observations, CheckIn),
    "Flag": (_search_flags, Episode),
    "Communication": (_search_communications, Notification),
}


@token_view
def search(request, kind):
    _known(kind)
    if kind not in SEARCHES:
        raise ApiError(400, "not-supported", f"{kind} is read by id only here (no search).")
    request.client.require(kind)
    query = parse(kind, request.GET)
    rows, build, patient_of = SEARCHES[kind][0](request.client, query)
    entries, shown, next_cursor = page(rows, build, patient_of, query)
    url = f"{base(request)}/{kind}"
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if next_cursor is not None:
        params = request.GET.copy()
        params["_cursor"] = next_cursor
        params["_count"] = str(query.count)
        links.append({"relation": "next", "url": f"{url}?{params.urlencode()}"})
    names = ",".join(sorted(query.params)) or "none"
    detail = f"search {kind} by {names}: {len(entries)} shown"
    if "identifier" in query.params:
        detail += f"; identifier #{term_ref(identifier(query.params['identifier'][0])[1])}"
    record_reads(request, shown, model=SEARCHES[kind][1], detail=detail)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": builders.instant(timezone.now()),
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base(request)}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in entries
        ],
    }
    if not bundle["entry"]:
        del bundle["entry"]
    return fhir_response(bundle)


def page(rows, build, patient_of, query):
    """One page: at most `_count` resources. Returns (resources, the ids of the patients
    they are about, the next page's cursor or None)."""
    if query.kind == "Observation":
        return _observation_page(rows, build, patient_of, query)
    fetched = list(rows[: query.count + 1])
    shown = fetched[: query.count]
    entries = [resource for row in shown for resource in build(row)]
    more = len(fetched) > query.count
    return entries, [patient_of(row) for row in shown], str(shown[-1].pk) if more else None


def _observation_page(rows, build, patient_of, query):
    """Observations come several to a check-in: read at most `_count` + 1 check-ins
    (each has an answer the search wants, so that is enough), skip what the cursor
    says was given of the first, and stop mid-check-in when the page is full; the
    cursor is then "<check-in>.<observations of it given>"."""
    fetched = list(rows[: query.count + 1])
    entries, shown = [], []
    for row in fetched:
        built = build(row)
        given = query.cursor[1] if query.cursor and row.pk == query.cursor[0] else 0
        room = query.count - len(entries)
        if len(built) - given > room:
            entries += built[given : given + room]
            shown.append(patient_of(row))
            return entries, shown, f"{row.pk}.{given + room}"
        entries += built[given:]
        if built[given:]:
            shown.append(patient_of(row))
    return entries, shown, None
