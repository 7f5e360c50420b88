"""The admin of the patients app: the record and the audit trail (record.py), care
teams and their contact lists (teams.py), user accounts (users.py)."""

from . import teams, users
from .record import AuditEventAdmin, PatientAdmin

__all__ = ["AuditEventAdmin", "PatientAdmin", "teams", "users"]
