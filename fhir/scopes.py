"""The OAuth scopes of the FHIR API: read only, in the SMART App Launch v1 style
(`system/<type>.read`), which SMART Backend Services clients ask for. `system/*.read`
is every type. Plain constants: the settings read them (OAUTH2_PROVIDER["SCOPES"])."""

READ_TYPES = (
    "Patient",
    "Practitioner",
    "CareTeam",
    "Organization",
    "Group",
    "Questionnaire",
    "CodeSystem",
    "QuestionnaireResponse",
    "Observation",
    "Flag",
    "DetectedIssue",
    "Communication",
)
ALL_READ = "system/*.read"
SCOPES = {ALL_READ: "Read every resource type"} | {
    f"system/{kind}.read": f"Read {kind}" for kind in READ_TYPES
}


def allows(granted, kind: str) -> bool:
    """Whether scopes `granted` (a list) let the client read resources of `kind`."""
    return ALL_READ in granted or f"system/{kind}.read" in granted
