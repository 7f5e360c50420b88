"""Patient/{id}/$everything: every resource about one patient, as one Bundle.

1. Read the patient, their team, check-ins, episodes, flags and notifications
   through fhir/queries.py (a fixed number of queries, whatever their count).
2. Build each resource with fhir/resources.py: the Patient; their CareTeam and
   Organization, and a Practitioner for each team member and each clinician who
   entered a check-in; the Questionnaire and the CodeSystem its items use; a
   QuestionnaireResponse and Observations per check-in; a Flag per episode; a
   DetectedIssue per flag row; a Communication per notification.
3. Wrap them in a searchset Bundle (the operation's result type), each entry with
   its fullUrl and search mode: "match" for the patient, "include" for the rest.
"""

from django.utils import timezone

from . import queries
from .builders import (
    base_url,
    care_team_resource,
    code_system_resource,
    communication_resource,
    detected_issue_resource,
    flag_resource,
    instant,
    observation_resources,
    organization_resource,
    patient_resource,
    practitioner_resource,
    questionnaire_resource,
    questionnaire_response_resource,
)


def entry(resource: dict, *, base: str, mode: str = "include") -> dict:
    """A Bundle entry with its fullUrl under `base`."""
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def everything_resources(patient) -> list[dict]:
    """Every resource of the patient's $everything, the Patient first."""
    patient = queries.patients().get(pk=patient.pk)
    team = queries.care_teams().get(pk=patient.care_team_id)
    check_ins = list(queries.check_ins_of(patient))
    members = {m.user_id: m.user for m in team.memberships.all()}
    clinicians = {
        c.entered_by_user.pk: c.entered_by_user
        for c in check_ins
        if c.entered_by == "clinician" and c.entered_by_user is not None
    }
    resources = [
        patient_resource(patient),
        care_team_resource(team),
        organization_resource(team),
        *(practitioner_resource(user) for _pk, user in sorted({**members, **clinicians}.items())),
        questionnaire_resource(),
        code_system_resource(),
    ]
    for check_in in check_ins:
        resources.append(questionnaire_response_resource(check_in))
        resources.extend(observation_resources(check_in))
    resources += [flag_resource(e) for e in queries.episodes_of(patient)]
    resources += [detected_issue_resource(f) for f in queries.flags_of(patient)]
    resources += [communication_resource(n) for n in queries.notifications_of(patient)]
    return resources


def everything_bundle(patient, *, base: str | None = None) -> dict:
    """The searchset Bundle of Patient/{id}/$everything. `base` is the FHIR base URL
    the fullUrls are under (the API passes the one it was reached at); SITE_URL's by
    default."""
    base = (base or base_url()).rstrip("/")
    resources = everything_resources(patient)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "total": 1,  # the matches: the patient; the rest are included
        "link": [{"relation": "self", "url": f"{base}/Patient/{patient.pk}/$everything"}],
        "entry": [
            entry(resource, base=base, mode="match" if i == 0 else "include")
            for i, resource in enumerate(resources)
        ],
    }
