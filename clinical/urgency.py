"""The urgency vocabulary: the four levels a check-in or a finding can have.

Green: nothing new. Amber: contact the team today. Red: contact the 24-hour line
now. Emergency: call the emergency number (routed to the team as red).
"""

from collections.abc import Iterable

GREEN, AMBER, RED, EMERGENCY = "green", "amber", "red", "emergency"
URGENCIES = (GREEN, AMBER, RED, EMERGENCY)
RANK = {urgency: rank for rank, urgency in enumerate(URGENCIES)}
LABELS = {GREEN: "Green", AMBER: "Amber", RED: "Red", EMERGENCY: "Emergency"}
CHOICES = [(urgency, LABELS[urgency]) for urgency in URGENCIES]

# What a flag and an alert can be, most urgent first: amber and above.
ALERTING = (EMERGENCY, RED, AMBER)
# The advice that tells the patient to phone someone now.
PHONE_NOW = frozenset(ALERTING)


def highest(urgencies: Iterable[str]) -> str:
    """The most urgent of `urgencies`; green for none."""
    return max(urgencies, key=RANK.__getitem__, default=GREEN)


def routed_as(urgency: str) -> str:
    """Emergencies are routed as red (the patient also rings the emergency number)."""
    return RED if urgency == EMERGENCY else urgency
