"""Validation of the tracker's FHIR resources against the R4 structure definitions.

The validator is fhir.resources 6.4.0 (pinned, with pydantic 1.10): its models are
generated from the FHIR R4 (4.0.1) StructureDefinitions, one class per resource and
data type, so parsing a dict checks what those definitions say: every element's
name (no unknown ones), type and cardinality, required elements, one value of a
choice type (value[x]), primitive formats (id, dateTime, instant, uri, code...),
and contained resources and Bundle entries recursively as their own types. It does
not check terminology bindings or profiles' invariants beyond those.

Why this one: it is the well-kept, widely used Python FHIR model library (HL7's own
structure definitions, regenerated for each release), and 6.4.0 is its last release
built from R4 4.0.1, the version hospitals' records speak. 6.5.0 moved to R4B
(4.3.0) and 7.x/8.x to R5 with only an R4B subpackage: R4B renames and adds elements
an R4 server would refuse, so validating against it would pass resources that are not
R4. Its cost is pydantic 1 (pinned: pydantic 2 breaks it, and its metadata allows 2);
nothing else in the project uses pydantic. HAPI's and Firely's validators also check
bindings but are Java and .NET, a second runtime for tests and CI.
"""

from pydantic import ValidationError

from fhir.resources import construct_fhir_element

__all__ = ["FhirValidationError", "validate", "validate_all"]


class FhirValidationError(ValueError):
    """A resource that is not valid FHIR R4; the message lists every error."""


def validate(resource: dict) -> dict:
    """Check one resource dict (any type, a Bundle included) against FHIR R4; returns it
    unchanged, or raises FhirValidationError naming the type, id and every error."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise FhirValidationError("a resource needs a resourceType")
    try:
        construct_fhir_element(kind, resource)
    except ValidationError as exc:
        raise FhirValidationError(
            f"{kind}/{resource.get('id', '?')} is not valid R4: {exc}"
        ) from exc
    except (LookupError, ValueError) as exc:  # an unknown resourceType
        raise FhirValidationError(f"{kind}: {exc}") from exc
    return resource


def validate_all(resources) -> list[dict]:
    return [validate(resource) for resource in resources]
