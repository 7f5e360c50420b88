"""The admin of the patients app: the record and the audit trail (record.py), care
teams and their contact lists (teams.py)."""

from . import teams
from .record import AuditEventAdmin, PatientAdmin

__all__ = ["AuditEventAdmin", "PatientAdmin", "teams"]
