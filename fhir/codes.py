"""The codes the tracker's FHIR resources carry.

Every catalogue item (clinical.catalogue.ITEMS) has the tracker's own code, in the
CodeSystem it publishes itself (settings.FHIR_CODE_SYSTEM_URL, served as CodeSystem
"symptom-tracker"), so that every item has at least one code a record can resolve.
Where a published code says the same thing it comes first:

- SNOMED CT for yes/no warning signs that are one clinical finding, and only where
  the concept id is certain (see PUBLISHED). An item that joins two findings
  ("blood or mucus", "thirsty and passing more urine", "confusion or drowsiness")
  has none: a CodeableConcept's codings must all mean the same thing.
- LOINC 8310-5 (Body temperature) for the temperature.
- PRO-CTCAE items: LOINC holds PRO-CTCAE item codes, but none could be checked
  against LOINC's own tables while this was written, so none is given rather than
  one that might be wrong; adding one is a line in PUBLISHED. Our items also ask
  about the last 24 hours, not PRO-CTCAE's 7 days, and in our own words.

The same CodeSystem holds the urgencies, the rules of rule set v1, the answer
scales' options and the alert channels.
"""

from django.conf import settings

from clinical.catalogue import (
    COUNT,
    FREQUENCY_LABELS,
    ITEMS,
    RASH_LABELS,
    SCORE,
    SEVERITY_LABELS,
    TEMPERATURE,
    WELLBEING,
    YESNO,
    Item,
)
from clinical.engine import RULE_SET
from clinical.urgency import LABELS as URGENCY_LABELS
from clinical.urgency import URGENCIES

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

CODE_SYSTEM_ID = "symptom-tracker"
# The catalogue and rule set the Questionnaire and CodeSystem describe: one version.
VERSION = RULE_SET

# Published codes, first in an item's CodeableConcept. (system, code, display).
PUBLISHED: dict[str, tuple[tuple[str, str, str], ...]] = {
    # SNOMED CT International, clinical findings.
    "chest_pain": ((SNOMED, "29857009", "Chest pain"),),
    "yellow_skin_or_eyes": ((SNOMED, "18165001", "Jaundice"),),
    "fainting": ((SNOMED, "271594007", "Syncope"),),
    "less_urine": ((SNOMED, "83128009", "Oliguria"),),
    # LOINC, the vital sign (also the code the R4 vital-signs profile names).
    "temperature_c": ((LOINC, "8310-5", "Body temperature"),),
}

# Rule set v1 (shared/clinical/REFERENCE.md), in our words: what made a flag.
RULES: dict[str, str] = {
    "R1": "Stools 1 to 3 a day over baseline",
    "R2": "Stools 4 or more a day over baseline",
    "R3": "A red-flag warning sign answered yes",
    "R4": "Chest pain, or the most severe shortness of breath: emergency",
    "R5": "An amber-flag warning sign answered yes",
    "R6": "Standard symptom at its worst and above baseline",
    "R7": "Standard symptom severe, or 2 or more over baseline",
    "R8": "Standard symptom 1 over baseline, not severe (recorded only)",
    "R9": "Critical symptom severe, or 2 or more over baseline",
    "R10": "Critical symptom 1 over baseline, not severe",
    "R11": "Temperature 38.0 °C or above",
    "R12": "Temperature from 37.5 to below 38.0 °C, or below 36.0 °C",
    "R13": "Wellbeing 3 or more below baseline",
    "R14": "Amber on each of the two days before: raised to red",
    "R15": "Two or more amber findings in one check-in: red",
    "R16": "No check-in for 3 days on treatment or follow-up",
}

CHANNELS: dict[str, str] = {
    "email": "Email",
    "sms": "SMS",
    "webhook": "Webhook",
    "fhir": "FHIR transaction",
}

# Answer scales of the 0-4 items: code prefix per label tuple.
SCALES: dict[tuple[str, ...], str] = {
    SEVERITY_LABELS: "severity",
    FREQUENCY_LABELS: "frequency",
    RASH_LABELS: "rash",
}


def code_system_url() -> str:
    return settings.FHIR_CODE_SYSTEM_URL


def coding(code: str, display: str) -> dict:
    """A Coding in the tracker's own CodeSystem."""
    return {"system": code_system_url(), "version": VERSION, "code": code, "display": display}


def item_codings(item: Item) -> list[dict]:
    """An item's codings: the published ones first, then always the tracker's own."""
    published = [
        {"system": system, "code": code, "display": display}
        for system, code, display in PUBLISHED.get(item.key, ())
    ]
    return [*published, coding(item.key, item.label)]


def item_concept(item: Item) -> dict:
    return {"coding": item_codings(item), "text": item.label}


def urgency_concept(urgency: str) -> dict:
    return {"coding": [coding(urgency, URGENCY_LABELS[urgency])], "text": URGENCY_LABELS[urgency]}


def rule_concept(rule: str) -> dict:
    return {"coding": [coding(rule, RULES[rule])], "text": f"{rule}: {RULES[rule]}"}


def channel_coding(channel: str) -> dict:
    return coding(channel, CHANNELS[channel])


def answer_coding(item: Item, value: int) -> dict:
    """A 0-4 item's answer as its option's Coding ('severity-3', 'Severe')."""
    return coding(f"{SCALES[item.choices]}-{value}", item.choices[value])


def unit(item: Item) -> dict | None:
    """The UCUM unit of a numeric item's Quantity (None for choices and yes/no)."""
    if item.kind == TEMPERATURE:
        return {"unit": "°C", "system": UCUM, "code": "Cel"}
    if item.kind == COUNT:
        return {"unit": "per day", "system": UCUM, "code": "/d"}
    if item.kind == WELLBEING:
        return {"unit": "score", "system": UCUM, "code": "{score}"}
    return None


def concepts() -> list[dict]:
    """The CodeSystem's concepts, grouped under one parent per kind (hierarchyMeaning
    grouped-by); every code is unique across the system."""

    def group(code, display, children):
        return {"code": code, "display": display, "concept": children}

    items = [
        {"code": item.key, "display": item.label, "definition": str(item.question)}
        for item in ITEMS
    ]
    scales = [
        {"code": f"{prefix}-{value}", "display": label}
        for labels, prefix in SCALES.items()
        for value, label in enumerate(labels)
    ]
    return [
        group("item", "Check-in items", items),
        group("answer", "Answer options of the 0-4 items", scales),
        group(
            "urgency",
            "Urgencies",
            [{"code": u, "display": URGENCY_LABELS[u]} for u in URGENCIES],
        ),
        group(
            "rule",
            f"Rules of rule set {RULE_SET}",
            [{"code": r, "display": d} for r, d in RULES.items()],
        ),
        group(
            "channel", "Alert channels", [{"code": c, "display": d} for c, d in CHANNELS.items()]
        ),
        group("category", "Kinds of message", [{"code": "alert", "display": "Alert"}]),
    ]


def questionnaire_item_type(item: Item) -> str:
    return {
        SCORE: "choice",
        COUNT: "integer",
        WELLBEING: "integer",
        TEMPERATURE: "decimal",
        YESNO: "boolean",
    }[item.kind]
