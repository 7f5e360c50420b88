"""A patient's rights over their data: a copy of all of it (access), and its erasure.

Access: `export_tables` gathers everything the service holds about the patient,
including what the care team recorded about their flags (actions, notes, the
resolution note), because the right of access covers all personal data, not only
what the patient typed. Clinicians appear as "your care team": their names are
theirs, and the team tells a patient who treated them on request.

Erasure: `erase_patient` deletes the patient, their account, their carers' links
(and the accounts of carers who were nothing else), every record about them, the
admin log lines naming them and their sessions, in one transaction. The audit
trail is kept: it never held a name (patients/audit.py), and the erasure forgets
the IP addresses of its rows about the patient (a carer's is where the carer
lives), the one change the trail allows. Once that commits, the messages about
the patient go from the files the project writes in development (the file email
backend's folder, SMS_FILE). What the project cannot reach (mail already sent,
shipped logs, backups) is listed in docs/SECURITY.md with its retention.

The apps above patients hold data about the patient too (alerts: the alerts and
their messages). Each says what it holds by registering a PersonalData at
start-up (its AppConfig.ready): its tables for the export, its rows for the
erasure's summary. A test checks that every model reaching a patient is covered.
"""

import csv
import email
import email.policy
import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils import timezone

from clinical.catalogue import BASELINE_ITEMS, BY_KEY, ITEMS

from . import audit
from .access import accounts_only_caring_for, is_clinician
from .models import (
    Acknowledgement,
    Action,
    AuditEvent,
    Baseline,
    Carer,
    CheckIn,
    Episode,
    Flag,
    Patient,
    Question,
    Reminder,
    SmsReply,
    Treatment,
)

# Access


@dataclass(frozen=True)
class Table:
    name: str  # the JSON key, and the CSV file's name
    title: str  # what it is, in the README
    rows: list[dict]


@dataclass(frozen=True)
class PersonalData:
    """What an app above patients holds about a patient.

    `tables(patient, when)`: its tables for the export, oldest rows first (`when`
    writes a date or time in the patient's zone, as every table does).
    `records(patient)`: (model, queryset) of its rows about the patient, for the
    erasure's summary; they go with the patient's check-ins (ON DELETE CASCADE).
    `message_keys(patient)`: the idempotency keys of the messages it sent about the
    patient (an email's X-Idempotency-Key, the [key] of a line of SMS_FILE), read
    before the erasure deletes them: their messages go from the development files.
    """

    tables: Callable[[Patient, Callable], list[Table]]
    records: Callable[[Patient], list[tuple[type, object]]]
    message_keys: Callable[[Patient], list[str]] = lambda patient: []


_REGISTERED: list[PersonalData] = []


def register(data: PersonalData) -> None:
    """Called by an app's AppConfig.ready: its part of every export and erasure."""
    if data not in _REGISTERED:
        _REGISTERED.append(data)


def local_time(tz):
    """How the export writes a date or time: in the patient's zone, ISO 8601."""

    def when(value):
        if isinstance(value, datetime):
            return value.astimezone(tz).isoformat(timespec="seconds")
        if isinstance(value, time):
            return value.isoformat(timespec="minutes")
        if isinstance(value, date):
            return value.isoformat()
        return value

    return when


def export_tables(patient: Patient) -> list[Table]:
    """Everything about the patient, one table per kind of record, oldest first.
    Times are in the patient's time zone, with their offset."""
    when = local_time(patient.tz)
    user = patient.user
    carers = {c.user_id: c.name for c in patient.carers.all() if c.user_id}

    def who(user_id):
        if user_id is None:
            return ""
        if user_id == user.pk:
            return "you"
        if user_id in carers:
            return f"{carers[user_id]} (carer)"
        return "your care team"

    def answers(record, items):
        return {i.key: _plain(getattr(record, i.key)) for i in items}

    check_ins = patient.check_ins.select_related("baseline").order_by("submitted_at", "pk")
    flags = (
        Flag.objects.filter(check_in__patient=patient)
        .select_related("episode")
        .with_seen()
        .order_by("created_at", "pk")
    )
    episodes = patient.episodes.prefetch_related("acknowledgements").order_by("opened_at", "pk")
    return [
        Table(
            "profile",
            "Your account and your record with the care team",
            [
                {
                    "username": user.get_username(),
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "email": user.email,
                    "hospital_number": patient.hospital_number,
                    "date_of_birth": when(patient.date_of_birth),
                    "care_team": patient.care_team.name,
                    "time_zone": patient.time_zone,
                    "account_created": when(user.date_joined),
                    "last_login": when(user.last_login),
                    "record_created": when(patient.created_at),
                    "invitation_sent": when(patient.invited_at),
                    "reminder_emails": patient.reminders,
                    "reminder_time": when(patient.reminder_time),
                    "mobile_number": patient.mobile_number,
                    "sms_check_ins": patient.sms_check_ins,
                    "mobile_confirmed": when(patient.mobile_confirmed_at),
                }
            ],
        ),
        Table(
            "treatments",
            "Your treatment, as your team wrote it down",
            [
                {
                    "medicines": t.medicines,
                    "kind": t.get_kind_display(),
                    "with_chemotherapy": t.with_chemotherapy,
                    "status": t.get_status_display(),
                    "start_date": when(t.start_date),
                    "last_dose_date": when(t.last_dose_date),
                    "next_dose_date": when(t.next_dose_date),
                    "schedule": t.schedule,
                    "steroids": t.steroids,
                }
                for t in patient.treatments.order_by("start_date", "pk")
            ],
        ),
        Table(
            "usual",
            "Your usual (baseline): how you feel normally; earlier ones are kept",
            [
                {
                    "recorded_at": when(b.created_at),
                    "recorded_by": who(b.recorded_by_id),
                    **answers(b, BASELINE_ITEMS),
                }
                for b in patient.baselines.order_by("created_at", "pk")
            ],
        ),
        Table(
            "check_ins",
            "Your check-ins: every answer; empty means not answered",
            [
                {
                    "check_in": c.pk,
                    "submitted_at": when(c.submitted_at),
                    "day": when(c.local_date),
                    "entered_by": who(c.entered_by_user_id) or c.get_entered_by_display(),
                    **answers(c, ITEMS),
                    "anything_else": c.free_text,
                    "new_medicines": c.new_medicines,
                    "advice_level": c.get_urgency_display(),
                    "compared_with_usual_of": when(c.baseline.created_at) if c.baseline else "",
                    "checked_by_the_service_at": when(c.evaluated_at),
                }
                for c in check_ins
            ],
        ),
        Table(
            "questions",
            "Your questions for appointments, and the answers you noted",
            [
                {
                    "question": q.text,
                    "added_at": when(q.created_at),
                    "asked_at": when(q.asked_at),
                    "answer": q.answer,
                }
                for q in patient.questions.order_by("created_at", "pk")
            ],
        ),
        Table(
            "reminders_sent",
            "Check-in reminder emails (your settings are in the profile)",
            [
                {"day": when(r.local_date), "sent_at": when(r.sent_at)}
                for r in patient.check_in_reminders.order_by("local_date", "pk")
            ],
        ),
        Table(
            "sms_replies",
            "Your check-ins by SMS reply: when each came and what we answered (the "
            "answers are in check_ins)",
            [
                {
                    "received_at": when(r.received_at),
                    "message_id": r.message_sid,
                    "answered": r.get_outcome_display(),
                    "check_in_sent_at": when(r.check_in.submitted_at) if r.check_in else "",
                }
                for r in patient.sms_replies.select_related("check_in").order_by(
                    "received_at", "pk"
                )
            ],
        ),
        Table(
            "carers",
            "People you invited to help you",
            [
                {
                    "name": c.name,
                    "email": c.email,
                    "status": c.status,
                    "invited_at": when(c.invited_at),
                    "accepted_at": when(c.accepted_at),
                    "access_removed_at": when(c.revoked_at),
                }
                for c in patient.carers.order_by("invited_at", "pk")
            ],
        ),
        Table(
            "flags",
            "What the service flagged to your care team, and what the team recorded",
            [
                {
                    "flag": f.pk,
                    "check_in": f.check_in_id,
                    "episode": f.episode_id,
                    "symptom": _label(f.symptom),
                    "urgency": f.get_urgency_display(),
                    "rule": f.rule,
                    "explanation": f.explanation,
                    "status": f.get_status_display(),
                    "flagged_at": when(f.created_at),
                    "seen_by_the_team_at": when(f.acknowledged_at),
                    "resolved_at": when(f.resolved_at),
                    "resolution_note": f.resolution_note,
                }
                for f in flags
            ],
        ),
        Table(
            "episodes",
            "Each run of a symptom, from its first flag until the team closed it",
            [
                {
                    "episode": e.pk,
                    "symptom": _label(e.symptom),
                    "urgency": e.get_urgency_display(),
                    "status": e.get_status_display(),
                    "opened_at": when(e.opened_at),
                    "seen_by_the_team_at": when(e.acknowledged_at),
                    "resolved_at": when(e.resolved_at),
                }
                for e in episodes
            ],
        ),
        Table(
            "team_actions",
            "What your care team did about an episode, with their notes",
            [
                {
                    "episode": a.episode_id,
                    "action": a.get_kind_display(),
                    "note": a.note,
                    "at": when(a.taken_at),
                }
                for a in Action.objects.filter(episode__patient=patient).order_by("taken_at", "pk")
            ],
        ),
        *(table for data in _REGISTERED for table in data.tables(patient, when)),
        Table(
            "access_log",
            "Who looked at or changed your records, by role, from the audit trail",
            [
                {
                    "at": when(e.at),
                    "by": "you" if e.actor_id == user.pk else e.get_actor_role_display(),
                    "action": e.get_action_display(),
                    "record": e.object_type.split(".")[-1],
                    "record_id": e.object_id,
                    "detail": e.detail,
                }
                for e in AuditEvent.objects.filter(patient_id=patient.pk).order_by("at", "pk")
            ],
        ),
    ]


def _plain(value):
    """A value as JSON and CSV both hold it: decimals as text ("38.5"), not floats."""
    return str(value) if isinstance(value, Decimal) else value


def _label(symptom: str) -> str:
    item = BY_KEY.get(symptom)
    return item.label if item else symptom


def export_json(patient: Patient, tables: list[Table]) -> dict:
    data = {
        "exported_at": timezone.now().astimezone(patient.tz).isoformat(timespec="seconds"),
        "about": README_INTRO,
        "answer_keys": {i.key: f"{i.label}: {i.question}" for i in ITEMS},
    }
    for table in tables:
        data[table.name] = table.rows[0] if table.name == "profile" else table.rows
    return data


README_INTRO = (
    "All the information the symptom tracker holds about you, as of the time of export. "
    "Times are your local time, with the difference from UTC. Your care team's own notes "
    "about your flags are included. Clinicians are shown as 'your care team'."
)


def export_zip(patient: Patient, tables: list[Table]) -> bytes:
    """A ZIP of one CSV file per table (UTF-8 with a byte-order mark, so that
    spreadsheets read accents), and a README.txt saying what each file holds."""
    buffer = io.BytesIO()
    names = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, table in enumerate(tables, start=1):
            name = f"{number:02d}-{table.name.replace('_', '-')}.csv"
            names.append((name, table.title))
            archive.writestr(name, _csv(table.rows))
        lines = [README_INTRO, "", "Files:"]
        lines += [f"  {name}: {title}" for name, title in names]
        lines += ["", "Check-in and usual columns:"]
        lines += [f"  {i.key}: {i.label}. {i.question}" for i in ITEMS]
        archive.writestr("README.txt", "\n".join(lines) + "\n")
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _cell(value) -> str:
    """Text for a spreadsheet: yes/no, empty for nothing, and typed text that starts
    like a formula kept as text (a leading apostrophe), never run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


# Erasure


class ErasureRefused(Exception):
    """The patient cannot be erased as things stand; nothing was changed."""


def _records(patient: Patient) -> list[tuple[type, object]]:
    """(model, queryset) for every kind of row that holds data about the patient,
    their own account and the accounts of carers who were nothing else."""
    User = get_user_model()
    carer_only = accounts_only_caring_for(patient)
    users = User.objects.filter(pk__in=[patient.user_id, *carer_only.values_list("pk", flat=True)])
    return [
        (Patient, Patient.objects.filter(pk=patient.pk)),
        (User, users),
        (Treatment, patient.treatments.all()),
        (Baseline, patient.baselines.all()),
        (CheckIn, patient.check_ins.all()),
        (Question, patient.questions.all()),
        (Reminder, patient.check_in_reminders.all()),
        (SmsReply, patient.sms_replies.all()),
        (Carer, patient.carers.all()),
        (Episode, patient.episodes.all()),
        (Acknowledgement, Acknowledgement.objects.filter(episode__patient=patient)),
        (Action, Action.objects.filter(episode__patient=patient)),
        (Flag, Flag.objects.filter(check_in__patient=patient)),
        *(record for data in _REGISTERED for record in data.records(patient)),
    ]


def erasure_summary(patient: Patient) -> list[tuple[str, int]]:
    """What erasing would delete, for the confirmation page."""
    summary = []
    for model, queryset in _records(patient):
        n = queryset.count()
        summary.append((model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural, n))
    return summary


def erase_patient(patient: Patient, request_or_user) -> AuditEvent:
    """Erase the patient; return the "erased" audit event. Raises ErasureRefused.

    1. Refuse an account that is also staff or on a care team: erasing the patient
       must not take a clinician's or an admin's account with it.
    2. Lock the patient, and note the id of every row to go (for step 4).
    3. Delete the check-ins first (their flags, alerts, notifications and attempts
       go with them; a check-in PROTECTs the baseline it was judged against), then
       the patient (treatments, baselines, questions, reminders, episodes and
       actions, carer links), then the accounts.
    4. Delete the admin log lines about those rows (they hold names in
       object_repr), the login records of the accounts (django-axes keeps
       usernames and addresses) and their sessions.
    5. Forget the IP addresses of the trail's rows about the patient (whoever
       wrote them: carers, clinicians, admins); the rows stay. Record "erased"
       (with the erasing admin's address: their accountability).
    All in one transaction: erased completely, or not at all. Once it commits,
    remove the messages about the patient from the development files
    (`forget_in_files`): a file is not part of the transaction.
    """
    user = patient.user
    if user.is_staff or user.is_superuser or is_clinician(user):
        raise ErasureRefused(
            f"The account {user.get_username()!r} is also staff or on a care team. "
            "Remove that role first, or give the patient an account of their own."
        )
    try:
        with transaction.atomic():
            patient = Patient.objects.select_for_update().get(pk=patient.pk)
            records = _records(patient)
            ids = {model: list(qs.values_list("pk", flat=True)) for model, qs in records}
            traces = _traces(patient, ids)
            User = get_user_model()
            usernames = list(
                User.objects.filter(pk__in=ids[User]).values_list(User.USERNAME_FIELD, flat=True)
            )
            deleted: dict[str, int] = {}
            for model in (CheckIn, Patient, User):
                _count, per_model = model.objects.filter(pk__in=ids[model]).delete()
                for label, n in per_model.items():
                    deleted[label] = deleted.get(label, 0) + n
            _forget_in_admin_log(ids, patient.hospital_number)
            _forget_logins(usernames)
            _end_sessions(ids[User])
            _forget_addresses(patient.pk)
            transaction.on_commit(lambda: forget_in_files(traces), robust=True)
            summary = ", ".join(f"{label} {n}" for label, n in sorted(deleted.items()) if n)
            return audit.record(
                request_or_user,
                "erased",
                ids[Patient][0],
                detail=f"deleted {summary}",
                role="admin",
            )
    except ProtectedError as exc:
        raise ErasureRefused(f"Something else still needs these records: {exc}") from exc


def _forget_in_admin_log(ids: dict, hospital_number: str) -> None:
    for model, pks in ids.items():
        if pks:
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[str(pk) for pk in pks],
            ).delete()
    # Rows of other kinds whose description names the patient ("Name (H123)").
    LogEntry.objects.filter(object_repr__contains=f"({hospital_number})").delete()


def _forget_logins(usernames: list[str]) -> None:
    """django-axes logs each login and failed login by username and address."""
    if not apps.is_installed("axes"):
        return
    for name in ("AccessAttempt", "AccessFailureLog", "AccessLog"):
        apps.get_model("axes", name).objects.filter(username__in=usernames).delete()


def _end_sessions(user_ids: list[int]) -> None:
    """Log the erased accounts out everywhere: their sessions name them."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return  # sessions not kept in the database (signed cookies, cache only)
    wanted = {str(pk) for pk in user_ids}
    keys = [
        session.session_key
        for session in store.get_model_class().objects.iterator()
        if str(session.get_decoded().get(SESSION_KEY)) in wanted
    ]
    for key in keys:
        store(session_key=key).delete()


def _forget_addresses(patient_id: int) -> None:
    """The trail's one allowed change: an IP address forgotten (set to NULL), and
    nothing else of the row. The model's queryset refuses every update, so the plain
    QuerySet's is called; on PostgreSQL the trigger lets exactly this change through
    (migration 0021)."""
    rows = AuditEvent.objects.filter(patient_id=patient_id).exclude(ip=None)
    QuerySet.update(rows, ip=None)


# The development files: what the project itself writes outside the database


@dataclass(frozen=True)
class Traces:
    """What marks a message about an erased patient in the development files."""

    addresses: frozenset[str]  # the erased accounts' email addresses, casefolded
    words: frozenset[str]  # the patient's full name and hospital number
    keys: frozenset[str]  # the idempotency keys of the messages about them


def _traces(patient: Patient, ids: dict) -> Traces:
    User = get_user_model()
    field = User.get_email_field_name()
    emails = User.objects.filter(pk__in=ids[User]).values_list(field, flat=True)
    return Traces(
        addresses=frozenset(e.casefold() for e in emails if e),
        words=frozenset(w for w in (patient.user.get_full_name(), patient.hospital_number) if w),
        keys=frozenset(
            [
                *(key for data in _REGISTERED for key in data.message_keys(patient)),
                # Their reminders texted (services/reminders.py, _text_reminder).
                *(f"reminder-{pk}" for pk in ids.get(Reminder, ())),
            ]
        ),
    )


EMAIL_FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# How Django's file email backend ends each message it appends to a file.
EMAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def forget_in_files(traces: Traces) -> None:
    """Remove the messages about an erased patient from the files the project writes
    in development: each email of the file backend's folder (EMAIL_FILE_PATH) that
    goes to an erased account, carries one of their messages' keys or names the
    patient; each line of SMS_FILE with one of their messages' keys. Another
    patient's messages stay. (Production sends through SMTP and an SMS provider:
    nothing of that is written here; docs/SECURITY.md says what to keep how long.)
    """
    if settings.EMAIL_BACKEND == EMAIL_FILE_BACKEND and settings.EMAIL_FILE_PATH:
        folder = Path(settings.EMAIL_FILE_PATH)
        for path in sorted(folder.glob("*.log")) if folder.is_dir() else []:
            messages = path.read_bytes().split(EMAIL_SEPARATOR)
            kept = [m for m in messages if m.strip() and not _names(m, traces)]
            if len(kept) < len([m for m in messages if m.strip()]):
                _rewrite(path, b"".join(m + EMAIL_SEPARATOR for m in kept))
    if settings.SMS_FILE and traces.keys and Path(settings.SMS_FILE).is_file():
        path = Path(settings.SMS_FILE)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        marks = {f"[{key}]" for key in traces.keys}
        kept = [line for line in lines if not any(mark in line for mark in marks)]
        if len(kept) < len(lines):
            _rewrite(path, "".join(kept).encode())


def _names(raw: bytes, traces: Traces) -> bool:
    """Whether an email (as the file backend wrote it) is about the erased patient."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if message.get("X-Idempotency-Key", "").strip() in traces.keys:
        return True
    recipients = {
        a.addr_spec.casefold() for h in ("To", "Cc", "Bcc") for a in _addresses(message, h)
    }
    if recipients & traces.addresses:
        return True
    text = "\n".join(
        [str(message.get("Subject", ""))]
        + [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
    )
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) for word in traces.words)


def _addresses(message, header: str):
    value = message.get(header)
    return value.addresses if value is not None and hasattr(value, "addresses") else ()


def _rewrite(path: Path, content: bytes) -> None:
    """Replace a file whole (a reader never sees half of it), or delete it if empty."""
    if not content:
        path.unlink(missing_ok=True)
        return
    temporary = path.with_name(path.name + ".erasing")
    temporary.write_bytes(content)
    os.replace(temporary, path)
