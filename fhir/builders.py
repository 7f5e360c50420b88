"""FHIR R4 resources built from the tracker's own rows: plain, JSON-ready dicts.

(Named builders, not resources: `fhir.resources` is the validator library's package,
which lives inside this app's name; see symptom_tracker/__init__.py.)

One function per resource; nothing is stored twice. Callers pass rows with their
relations loaded (fhir/queries.py loads them in a fixed number of queries); a
builder never queries on its own for what those reads provide.

Ids: Patient = patient.pk; Practitioner = user.pk; CareTeam and Organization =
team.pk; Questionnaire "check-in"; CodeSystem "symptom-tracker";
QuestionnaireResponse = check_in.pk; Observation = "<check_in.pk>-<item-key>"
(underscores as hyphens); Flag = episode.pk; DetectedIssue = flag.pk;
Communication = notification.pk. Times are UTC, ISO 8601 with the offset.
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from clinical.catalogue import BY_KEY, ITEMS, SCORE, TEMPERATURE, WELLBEING, YESNO, Item
from clinical.routing import DAY_NAMES, HoursError, parse_days
from clinical.urgency import AMBER, EMERGENCY, GREEN, LABELS, RED

from . import codes

QUESTIONNAIRE_ID = "check-in"
# Recorded with every check-in besides the catalogue's items (never graded).
FREE_TEXT = ("free_text", "Anything else", "Anything else you are struggling with")
NEW_MEDICINES = ("new_medicines", "New medicines", "New medicines taken since the last check-in")


def base_url() -> str:
    """The FHIR base the resources' canonical and full URLs are under."""
    return f"{settings.SITE_URL}/fhir/r4"


def instant(moment: datetime | None) -> str | None:
    """An aware datetime as FHIR instant/dateTime text, in UTC with its offset."""
    return moment.astimezone(UTC).isoformat() if moment else None


def ref(kind: str, pk, display: str | None = None) -> dict:
    reference = {"reference": f"{kind}/{pk}"}
    if display:
        reference["display"] = display
    return reference


def observation_id(check_in_pk, key: str) -> str:
    return f"{check_in_pk}-{key.replace('_', '-')}"


def questionnaire_url() -> str:
    return f"{base_url()}/Questionnaire/{QUESTIONNAIRE_ID}"


def _extension(name: str) -> str:
    """The URL of one of the tracker's own extensions."""
    return f"{base_url()}/StructureDefinition/{name}"


def _human_name(user) -> list[dict]:
    text = user.get_full_name()
    if not text:
        return []
    name = {"use": "official", "text": text}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return [name]


# People and teams.


def patient_resource(patient) -> dict:
    """Patient: the hospital number as identifier (system FHIR_PATIENT_IDENTIFIER_SYSTEM),
    name, date of birth, the team's service as managing organisation. Needs
    patient.user and patient.care_team."""
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                            "code": "MR",
                            "display": "Medical record number",
                        }
                    ],
                    "text": "Hospital number",
                },
                "system": settings.FHIR_PATIENT_IDENTIFIER_SYSTEM,
                "value": patient.hospital_number,
            }
        ],
        "active": patient.user.is_active,
        "managingOrganization": ref("Organization", patient.care_team_id, patient.care_team.name),
    }
    if name := _human_name(patient.user):
        resource["name"] = name
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource


def practitioner_resource(user) -> dict:
    """Practitioner: a member of staff (a care-team member, a clinician who entered a
    check-in by phone)."""
    resource = {"resourceType": "Practitioner", "id": str(user.pk), "active": user.is_active}
    if name := _human_name(user):
        resource["name"] = name
    if user.email:
        resource["telecom"] = [{"system": "email", "value": user.email, "use": "work"}]
    return resource


def organization_resource(team) -> dict:
    """Organization: the service a care team belongs to (one per team)."""
    return {
        "resourceType": "Organization",
        "id": str(team.pk),
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": codes.ORGANIZATION_TYPE,
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ]
            }
        ],
        "name": team.name,
    }


def _available_time(contact) -> list[dict]:
    """A contact's on-duty hours (team's time zone) as PractitionerRole.availableTime."""
    if contact.always_on_duty:
        return [{"daysOfWeek": list(DAY_NAMES), "allDay": True}]
    times = []
    for hours in contact.hours.all():
        try:
            days = sorted(parse_days(hours.days))
        except HoursError:
            continue  # the admin sees it (contact_list_problems); a record cannot use it
        entry = {"daysOfWeek": [DAY_NAMES[d] for d in days]}
        if hours.start == "00:00" and hours.end == "24:00":
            entry["allDay"] = True
        else:
            entry["availableStartTime"] = f"{hours.start}:00"
            # FHIR's time stops at 23:59:59; our windows end (exclusive) at 24:00.
            entry["availableEndTime"] = "23:59:59" if hours.end == "24:00" else f"{hours.end}:00"
        times.append(entry)
    return times


def _contact_role(contact, *, id: str, telecom: list[dict] | None = None) -> dict:
    """A contact on a team's list as a contained PractitionerRole: the contact list is
    not a list of user accounts (a 24-hour line, a ward), so it has no Practitioner of
    its own; the role carries its name, numbers, hours and the urgencies it takes."""
    if telecom is None:
        telecom = [
            {"system": "phone", "value": contact.phone, "use": "work", "rank": contact.order}
        ]
        if contact.email:
            telecom.append({"system": "email", "value": contact.email, "use": "work"})
        if contact.sms_number:
            telecom.append({"system": "sms", "value": contact.sms_number, "use": "work"})
        # Never the webhook's URL: a chat hook's address is itself its credential.
    role = {
        "resourceType": "PractitionerRole",
        "id": id,
        "active": contact.active,
        "practitioner": {"display": contact.name},
        "organization": ref("Organization", contact.team_id),
        "telecom": telecom,
    }
    if contact.role:
        role["code"] = [{"text": contact.role}]
    handles = [u for u in (AMBER, RED) if u in contact.handles]
    if handles:
        role["extension"] = [
            {
                "url": _extension("handles-urgency"),
                "valueCoding": codes.urgency_concept(u)["coding"][0],
            }
            for u in handles
        ]
    if available := _available_time(contact):
        role["availableTime"] = available
    if contact.when_to_call:
        role["availabilityExceptions"] = contact.when_to_call
    return role


def care_team_resource(team) -> dict:
    """CareTeam: its members (Practitioner, with their role) and its contact list, each
    contact a contained PractitionerRole (telecom, the hours as availableTime, the
    urgencies it handles) in escalation order; the list's phone numbers also as the
    team's telecom, ranked by that order. Needs team.memberships (with user) and
    team.contacts (with hours) prefetched: the active contacts are shown."""
    memberships = sorted(team.memberships.all(), key=lambda m: m.pk)
    contacts = sorted((c for c in team.contacts.all() if c.active), key=lambda c: c.order)
    participants = [
        {
            "role": [{"text": m.get_role_display()}],
            "member": ref("Practitioner", m.user_id, m.user.get_full_name() or None),
        }
        for m in memberships
    ]
    participants += [
        {
            "role": [{"text": c.role or "Contact"}],
            "member": {"reference": f"#contact-{c.pk}", "display": c.name},
        }
        for c in contacts
    ]
    resource = {
        "resourceType": "CareTeam",
        "id": str(team.pk),
        "status": "active",
        "name": team.name,
        "managingOrganization": [ref("Organization", team.pk, team.name)],
    }
    if contacts:
        resource["contained"] = [_contact_role(c, id=f"contact-{c.pk}") for c in contacts]
        resource["telecom"] = [
            {"system": "phone", "value": c.phone, "use": "work", "rank": c.order} for c in contacts
        ]
    if participants:
        resource["participant"] = participants
    return resource


# The catalogue.


def _answer_options(item: Item) -> list[dict]:
    return [
        {
            "valueCoding": {
                **codes.answer_coding(item, value),
                "extension": [{"url": codes.ORDINAL_VALUE, "valueDecimal": value}],
            }
        }
        for value in range(len(item.choices))
    ]


def _bounds_extensions(item: Item) -> list[dict]:
    low, high = item.bounds
    kind = "valueDecimal" if item.kind == TEMPERATURE else "valueInteger"
    cast = float if item.kind == TEMPERATURE else int
    extensions = [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", kind: cast(low)},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", kind: cast(high)},
    ]
    if unit := codes.unit(item):
        extensions.append(
            {
                "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
                "valueCoding": {
                    "system": unit["system"],
                    "code": unit["code"],
                    "display": unit["unit"],
                },
            }
        )
    return extensions


def _questionnaire_item(item: Item) -> dict:
    entry = {
        "linkId": item.key,
        "code": codes.item_codings(item),
        "text": str(item.question),
        "type": codes.questionnaire_item_type(item),
        "required": False,
    }
    if item.kind == SCORE:
        entry["answerOption"] = _answer_options(item)
    elif item.bounds is not None:
        entry["extension"] = _bounds_extensions(item)
    return entry


def questionnaire_resource() -> dict:
    """Questionnaire "check-in": the catalogue, versioned with the rule set, each item
    with its codes (published first, the tracker's own always) and answer options."""
    items = [_questionnaire_item(item) for item in ITEMS]
    items += [
        {"linkId": key, "text": text, "type": "text", "required": False}
        for key, _label, text in (FREE_TEXT, NEW_MEDICINES)
    ]
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": questionnaire_url(),
        "version": codes.VERSION,
        "name": "SymptomCheckIn",
        "title": "Daily symptom check-in (immunotherapy)",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            "How the patient felt in the last 24 hours, judged against their own usual "
            f"(baseline) by rule set {codes.VERSION}. The 0-4 items use PRO-CTCAE's "
            "attribute scales in the tracker's own words."
        ),
        "item": items,
    }


def code_system_resource() -> dict:
    """CodeSystem "symptom-tracker": the tracker's own codes (items, answer options,
    urgencies, rules, channels), at the canonical URL of FHIR_CODE_SYSTEM_URL."""
    concepts = codes.concepts()
    return {
        "resourceType": "CodeSystem",
        "id": codes.CODE_SYSTEM_ID,
        "url": codes.code_system_url(),
        "version": codes.VERSION,
        "name": "SymptomTracker",
        "title": "Symptom tracker codes",
        "status": "active",
        "description": (
            "Check-in items, answer options, urgencies, the rules of the deviation "
            "engine and alert channels of the immunotherapy symptom tracker."
        ),
        "caseSensitive": True,
        "hierarchyMeaning": "grouped-by",
        "content": "complete",
        "count": sum(1 + len(group["concept"]) for group in concepts),
        "concept": concepts,
    }


# Check-ins.


def _entered(check_in) -> tuple[dict, dict, list[dict]]:
    """(author, source, contained) of a check-in.

    - patient: the patient wrote it and answered it;
    - carer: a contained RelatedPerson, as author and source. A carer is a person
      with a personal, not a professional, relationship to the patient, which is
      what RelatedPerson is for (Practitioner is for people who give care
      professionally). The tracker keeps no resource of its own for a carer, so it
      is contained, named from the account that entered it;
    - clinician by phone: the clinician (Practitioner) is the author; the patient,
      who gave the answers on the phone, the source.
    """
    patient = ref("Patient", check_in.patient_id, check_in.patient.name)
    user = check_in.entered_by_user
    if check_in.entered_by == "carer":
        carer = {
            "resourceType": "RelatedPerson",
            "id": "carer",
            "patient": ref("Patient", check_in.patient_id),
            "relationship": [{"text": "Carer"}],
        }
        if user is not None and (name := _human_name(user)):
            carer["name"] = name
        display = (user.get_full_name() if user else "") or "Carer"
        person = {"reference": "#carer", "display": display}
        return person, person, [carer]
    if check_in.entered_by == "clinician":
        if user is not None:
            author = ref("Practitioner", user.pk, user.get_full_name() or None)
        else:
            author = {"display": "Clinician, by phone"}
        return author, patient, []
    return patient, patient, []


def _answer(item: Item, value) -> dict:
    if item.kind == SCORE:
        return {"valueCoding": codes.answer_coding(item, int(value))}
    if item.kind == TEMPERATURE:
        return {"valueDecimal": float(Decimal(str(value)))}
    if item.kind == YESNO:
        return {"valueBoolean": bool(value)}
    return {"valueInteger": int(value)}


def questionnaire_response_resource(check_in) -> dict:
    """QuestionnaireResponse: a check-in's answers (answered items only, with the free
    text and new medicines), who entered it as author and source. Needs
    check_in.patient (with user) and check_in.entered_by_user."""
    author, source, contained = _entered(check_in)
    items = [
        {"linkId": item.key, "text": item.label, "answer": [_answer(item, value)]}
        for item, value in check_in.answered()
    ]
    for key, label, _text in (FREE_TEXT, NEW_MEDICINES):
        if text := getattr(check_in, key):
            items.append({"linkId": key, "text": label, "answer": [{"valueString": text}]})
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(check_in.pk),
        "questionnaire": f"{questionnaire_url()}|{codes.VERSION}",
        "status": "completed",
        "subject": ref("Patient", check_in.patient_id),
        "authored": instant(check_in.submitted_at),
        "author": author,
        "source": source,
    }
    if contained:
        resource["contained"] = contained
    if items:
        resource["item"] = items
    return resource


def _quantity(item: Item, value) -> dict:
    unit = codes.unit(item) or {"unit": "score", "system": codes.UCUM, "code": "{score}"}
    number = float(Decimal(str(value))) if item.kind == TEMPERATURE else int(value)
    return {"value": number, **unit}


def _value(item: Item, value) -> dict:
    if item.kind == YESNO:
        return {"valueBoolean": bool(value)}
    if item.kind == SCORE:
        return {"valueInteger": int(value)}
    return {"valueQuantity": _quantity(item, value)}


def _baseline_range(item: Item, baseline) -> list[dict]:
    """The patient's usual as the Observation's referenceRange (see observation_resources)."""
    if baseline is None or not item.has_baseline:
        return []
    usual = getattr(baseline, item.key)
    if usual is None:
        return []
    low, high = item.bounds
    if item.kind == WELLBEING:  # higher is better: the usual or above is normal
        bounds = {"low": _quantity(item, usual), "high": _quantity(item, high)}
    else:  # scores and stools: the usual or below is normal
        bounds = {"low": _quantity(item, low), "high": _quantity(item, usual)}
    return [
        {
            **bounds,
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/referencerange-meaning",
                        "code": "normal",
                        "display": "Normal Range",
                    }
                ],
                "text": "The patient's usual (baseline)",
            },
            "text": (
                f"Usual for this patient: {item.display(usual)} "
                f"(baseline of {baseline.created_at.astimezone(UTC):%Y-%m-%d})"
            ),
        }
    ]


def observation_resources(check_in) -> list[dict]:
    """An Observation per answered item, derivedFrom the check-in's QuestionnaireResponse.

    The patient's baseline goes alongside as `referenceRange` (type "normal"), not as
    a component: the baseline is the patient's own normal, the range their values
    are judged against (at or below it, or at or above it for wellbeing, gives no
    finding), and that is what referenceRange means; a record shows it beside the
    value as it shows a lab's normal range. A component would be a second value
    observed at this time, which the baseline is not (it was recorded earlier, once).
    The range is the baseline the check-in was judged against (check_in.baseline),
    and only where it recorded that item. Needs check_in.patient, check_in.baseline
    and check_in.entered_by_user loaded.
    """
    _author, source, _contained = _entered(check_in)
    performer = [source] if source.get("reference", "").startswith("Patient/") else []
    response = ref("QuestionnaireResponse", check_in.pk)
    observations = []
    for item, value in check_in.answered():
        category = [
            {
                "coding": [
                    {"system": codes.OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
                ]
            }
        ]
        if item.kind == TEMPERATURE:
            category.append(
                {
                    "coding": [
                        {
                            "system": codes.OBSERVATION_CATEGORY,
                            "code": "vital-signs",
                            "display": "Vital Signs",
                        }
                    ]
                }
            )
        observation = {
            "resourceType": "Observation",
            "id": observation_id(check_in.pk, item.key),
            "status": "final",
            "category": category,
            "code": codes.item_concept(item),
            "subject": ref("Patient", check_in.patient_id),
            "effectiveDateTime": instant(check_in.submitted_at),
            "issued": instant(check_in.submitted_at),
            "derivedFrom": [response],
            **_value(item, value),
        }
        if performer:
            observation["performer"] = performer
        if item.kind == SCORE:
            observation["note"] = [{"text": f"{item.label}: {item.display(value)}"}]
        if reference_range := _baseline_range(item, check_in.baseline):
            observation["referenceRange"] = reference_range
        observations.append(observation)
    return observations


# Flags, findings, alerts.


def _symptom_concept(symptom: str) -> dict:
    item = BY_KEY.get(symptom)
    if item is None:
        return {"coding": [codes.coding(symptom, symptom)], "text": symptom}
    return codes.item_concept(item)


def _urgency_label(urgency: str) -> str:
    return LABELS.get(urgency, urgency)


def flag_resource(episode) -> dict:
    """Flag: an episode (a run of one symptom), active until resolved, with its symptom
    as the code, its urgency as the flag-priority extension, and the period from
    opened to resolved. Needs episode.patient (with user)."""
    symptom = _symptom_concept(episode.symptom)
    period = {"start": instant(episode.opened_at)}
    if episode.resolved_at:
        period["end"] = instant(episode.resolved_at)
    return {
        "resourceType": "Flag",
        "id": str(episode.pk),
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/flag-priority",
                "valueCodeableConcept": codes.urgency_concept(episode.urgency),
            }
        ],
        "status": "inactive" if episode.status == "resolved" else "active",
        "category": [
            {
                "coding": [
                    {"system": codes.FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}
                ],
            }
        ],
        "code": {**symptom, "text": f"{_urgency_label(episode.urgency)}: {symptom['text']}"},
        "subject": ref("Patient", episode.patient_id),
        "period": period,
        "author": ref("Organization", episode.care_team_id),
    }


SEVERITY = {EMERGENCY: "high", RED: "high", AMBER: "moderate", GREEN: "low"}


def detected_issue_resource(flag) -> dict:
    """DetectedIssue: one Flag row, the finding that made it: the rule (in the
    flag's own rule-set version), the rules that raised it (R14, R15), the
    explanation, its severity from the urgency; implicated the check-in's
    QuestionnaireResponse and the symptom's Observation. Needs flag.check_in."""
    check_in_pk = flag.check_in_id
    observation = ref("Observation", observation_id(check_in_pk, flag.symptom))
    response = ref("QuestionnaireResponse", check_in_pk)
    rules = [flag.rule, *(r for r in flag.raised_by.replace(" ", "").split(",") if r)]
    rule_codes = [
        {
            "coding": [{**codes.coding(r, codes.RULES.get(r, r)), "version": flag.rule_set}],
            "text": f"{r}: {codes.RULES.get(r, r)}",
        }
        for r in rules
    ]
    return {
        "resourceType": "DetectedIssue",
        "id": str(flag.pk),
        "extension": [
            {
                "url": _extension("urgency"),
                "valueCodeableConcept": codes.urgency_concept(flag.urgency),
            }
        ],
        "status": "final",
        "code": rule_codes[0],
        "severity": SEVERITY.get(flag.urgency, "low"),
        "patient": ref("Patient", flag.check_in.patient_id),
        "identifiedDateTime": instant(flag.created_at),
        "implicated": [response, observation],
        "evidence": [
            {"code": [_symptom_concept(flag.symptom), *rule_codes[1:]], "detail": [observation]}
        ],
        "detail": flag.explanation,
        "reference": f"{codes.code_system_url()}|{flag.rule_set}#{flag.rule}",
    }


COMMUNICATION_STATUS = {
    "queued": "preparation",
    "sending": "in-progress",
    "sent": "completed",
    "failed": "not-done",
}
PRIORITY = {EMERGENCY: "stat", RED: "asap", AMBER: "urgent"}
# Channels whose message carries no symptom (alerts/messages.py): only that a
# patient needs review. Their Communication says no more than they did.
NO_SYMPTOM_TEXT = frozenset({"sms", "webhook"})


def _acknowledged_at(notification):
    """When the alert was answered: the `acknowledged_at` that fhir.queries annotates,
    else asked of the alert (one query)."""
    if "acknowledged_at" in notification.__dict__:
        return notification.__dict__["acknowledged_at"]
    return notification.alert.answer()[0]


def communication_resource(notification) -> dict:
    """Communication: one notification (an alert to one contact over one channel):
    the channel as medium, the contact (a contained PractitionerRole with the address
    used) as recipient, when it was sent and when the alert was acknowledged
    (`received`: the team had it). SMS and webhook messages carry no symptom, so
    their payload is the message's words without its acknowledge link (a live
    credential); an email's also lists the findings it carried. `about` points at the
    check-in's DetectedIssues (references, never text).

    Needs notification.alert.check_in (with patient) and notification.contact, and,
    for `about` and an email's payload, notification.alert.check_in.flags prefetched.
    """
    alert = notification.alert
    check_in = alert.check_in
    contact = notification.contact
    channel = notification.channel
    level = _urgency_label(alert.urgency).upper()
    flags = sorted((f for f in check_in.flags.all() if f.alerted), key=lambda f: f.pk)
    words = f"Symptom tracker: {level} alert, a patient needs review."
    if channel not in NO_SYMPTOM_TEXT and flags:
        words += "\n" + "\n".join(
            f"- {_urgency_label(f.urgency)}: {_symptom_concept(f.symptom)['text']}, {f.explanation}"
            for f in flags
        )
    telecom_system = {"sms": "sms", "email": "email"}.get(channel)
    telecom = [{"system": telecom_system, "value": notification.address}] if telecom_system else []
    medium = {"coding": [codes.channel_coding(channel)], "text": codes.CHANNELS[channel]}
    if channel == "email":
        medium["coding"].insert(
            0, {"system": codes.PARTICIPATION_MODE, "code": "EMAILWRIT", "display": "email"}
        )
    resource = {
        "resourceType": "Communication",
        "id": str(notification.pk),
        "contained": [_contact_role(contact, id="recipient", telecom=telecom)],
        "status": COMMUNICATION_STATUS.get(notification.status, "unknown"),
        "category": [{"coding": [codes.coding("alert", "Alert")], "text": "Alert"}],
        "priority": PRIORITY.get(alert.urgency, "routine"),
        "medium": [medium],
        "subject": ref("Patient", check_in.patient_id),
        "recipient": [{"reference": "#recipient", "display": contact.name}],
        "sender": ref("Organization", check_in.patient.care_team_id),
        "payload": [{"contentString": words}],
    }
    if flags:
        resource["about"] = [ref("DetectedIssue", f.pk) for f in flags]
    if notification.status == "failed":
        resource["statusReason"] = {"text": "Delivery failed"}
    if notification.sent_at:
        resource["sent"] = instant(notification.sent_at)
    if acknowledged := _acknowledged_at(notification):
        resource["received"] = instant(acknowledged)
    if notification.level:
        resource["note"] = [{"text": f"Escalation {notification.level}"}]
    return resource


def group_resource(team, quantity: int) -> dict:
    """Group: a care team's patients, as Bulk Data's Group/{id}/$export names them
    (the team's id). Its members are not listed: $export is how they are read."""
    return {
        "resourceType": "Group",
        "id": str(team.pk),
        "type": "person",
        "actual": True,
        "name": f"Patients of {team.name}",
        "quantity": quantity,
        "managingEntity": ref("Organization", team.pk, team.name),
    }
