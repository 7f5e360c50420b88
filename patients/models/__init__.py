"""The patients app's models: the record (record.py), care teams and their contact
lists (teams.py), flags and episodes (episodes.py), and the audit trail (audit.py)."""

from .audit import AppendOnlyError, AuditEvent, AuditEventQuerySet
from .episodes import (
    ACKNOWLEDGED,
    FLAG_STATUS_CHOICES,
    OPEN,
    RESOLVED,
    Acknowledgement,
    Action,
    Episode,
    Flag,
    FlagQuerySet,
)
from .record import (
    Baseline,
    Carer,
    CarerQuerySet,
    CheckIn,
    Patient,
    Question,
    Reminder,
    Treatment,
    validate_time_zone,
)
from .sms import SmsReply
from .teams import (
    CHANNEL_KINDS,
    NOT_HTTPS,
    BrokenChannel,
    CareTeam,
    Contact,
    ContactHours,
    HttpsURLField,
    TeamMembership,
    handled_urgencies,
    new_webhook_secret,
)

__all__ = [
    "ACKNOWLEDGED",
    "CHANNEL_KINDS",
    "FLAG_STATUS_CHOICES",
    "NOT_HTTPS",
    "OPEN",
    "RESOLVED",
    "Acknowledgement",
    "Action",
    "AppendOnlyError",
    "AuditEvent",
    "AuditEventQuerySet",
    "Baseline",
    "BrokenChannel",
    "CareTeam",
    "Carer",
    "CarerQuerySet",
    "CheckIn",
    "Contact",
    "ContactHours",
    "Episode",
    "Flag",
    "FlagQuerySet",
    "HttpsURLField",
    "Patient",
    "Question",
    "Reminder",
    "SmsReply",
    "TeamMembership",
    "Treatment",
    "handled_urgencies",
    "new_webhook_secret",
    "validate_time_zone",
]
