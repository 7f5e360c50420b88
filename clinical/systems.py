"""Body systems: the organs an item of the catalogue may point to, for a nurse to
filter the triage queue by ("everything that may come from the heart")."""

import re

from .catalogue import ITEMS


def systems_of(system: str) -> list[str]:
    """The body systems an item's `system` text names, in order.

    "lung (pneumonitis), heart" -> ["lung", "heart"]; "gut / endocrine" ->
    ["gut", "endocrine"]. Words in brackets name the condition, not a system.
    """
    plain = re.sub(r"\([^)]*\)", "", system)
    return [part.strip() for part in re.split(r"[,/]", plain) if part.strip()]


# Systems the catalogue names that a nurse filters for as one group.
SYSTEM_GROUPS = {
    "thyroid": "endocrine",
    "adrenal": "endocrine",
    "pituitary": "endocrine",
    "pancreas": "endocrine",
    "nerve": "muscle",
    "cytokine release": "infection",
}
SYSTEM_LABELS = {
    "endocrine": "Endocrine (thyroid, adrenal, pituitary, pancreas)",
    "muscle": "Muscle and nerve",
    "infection": "Infection or cytokine release",
}


def _body_systems() -> dict[str, tuple[str, ...]]:
    """Body system -> the catalogue items that may point to it, alphabetically by system.

    An item belongs to every system it names, not only the first: shortness of
    breath is under lung and heart, headache under brain and endocrine (the
    pituitary). A nurse filtering for the heart sees every symptom that may come
    from it.
    """
    systems: dict[str, list[str]] = {}
    for item in ITEMS:
        for name in systems_of(item.system):
            keys = systems.setdefault(SYSTEM_GROUPS.get(name, name), [])
            if item.key not in keys:
                keys.append(item.key)
    return {name: tuple(systems[name]) for name in sorted(systems)}


BODY_SYSTEMS = _body_systems()


def system_label(system: str) -> str:
    return SYSTEM_LABELS.get(system, system.capitalize())
