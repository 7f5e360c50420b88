"""Validators shared by every app's forms."""

import unicodedata

from django.core.exceptions import ValidationError

# Characters that change how text is laid out or read rather than what it says: the
# Unicode bidirectional embeddings, overrides and isolates (a name can be shown backwards).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

NAME_REFUSED = "Names cannot hold line breaks, tabs or other control characters."


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a control character (Unicode category Cc: C0, DEL, C1), a
    line or paragraph separator (Zl, Zp), or a bidirectional control.

    Joiners (ZWJ, ZWNJ) stay allowed: names in several scripts are spelt with them."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI_CONTROLS for c in text)


def validate_name(value: str) -> None:
    """A person's, a team's or a contact's name: one line of printable text.

    Names end up in email headers (an invitation is from the patient by name), where a
    line break raises BadHeaderError, and on pages and in lists, where one makes a
    name look like two."""
    if has_control_characters(value or ""):
        raise ValidationError(NAME_REFUSED, code="control_characters")


def validate_names_of(form, *fields: str) -> None:
    """Give the form's `fields` (those it has) the name validator: call it from a form's
    __init__, for a model field whose validators cannot change without a migration."""
    for name in fields:
        field = form.fields.get(name)
        if field is not None and validate_name not in field.validators:
            field.validators.append(validate_name)
