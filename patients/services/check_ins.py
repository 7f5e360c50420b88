"""Recording baselines and check-ins, and judging a check-in: the patient's side of
the core loop.

A check-in is judged at once, in the request, for the patient's advice (the same
pure engine the worker runs for flags); once it is saved, `check_in_recorded` is
sent, and alerts queues the worker's evaluation on commit.

The request reads what judging needs with the patient's row, in one query
(`load_for_check_in`: the usual, the treatment, the 2 days before, the hour's
limit), runs the engine once, and writes the check-in and its audit row together
(one statement on PostgreSQL: base.rows.insert_pair). A patient may send
CHECK_INS_PER_HOUR check-ins an hour, carers included; `record_check_in` says which
are never refused.
"""

import json
import uuid
import zoneinfo
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from base.rows import execute_prepared, insert, insert_pair
from clinical.catalogue import AMBER_FLAG, ITEMS, RED_FLAG
from clinical.engine import Evaluation, PastCheckIn, Treatment, evaluate_check_in
from clinical.urgency import EMERGENCY, RED

from .. import audit
from ..models import Baseline, CheckIn, Patient
from ..models import Treatment as TreatmentRecord
from ..signals import check_in_recorded

# The engine looks back 2 calendar days (R14).
DAYS_BEFORE = 2
# Any check-in dated in those days was sent within this long of now, whatever the
# patient's zone was then or is now (zones differ by up to 26 hours): a bound on
# submitted_at that lets the (patient, submitted_at) index find the recent days.
_RECENT_SPAN = timedelta(days=DAYS_BEFORE + 3)
WARNING_SIGNS = frozenset(item.key for item in ITEMS if item.cls in (RED_FLAG, AMBER_FLAG))


class TooManyCheckIns(Exception):
    """The patient (with their carers) sent CHECK_INS_PER_HOUR check-ins in the last
    hour: this one is not saved. `until`: when the next one will be taken."""

    def __init__(self, until: datetime):
        super().__init__(f"Too many check-ins; the next one is taken from {until:%H:%M}.")
        self.until = until


@dataclass
class CheckInContext:
    """What judging a new check-in of a patient needs, read with the patient.

    `recent`: their check-ins of the 2 calendar days before `day` (their baselines
    loaded); `limited_until`: set when the hour's limit is reached, the time the
    next check-in is taken; `token_used`: a check-in was saved under this form's token.
    """

    now: datetime
    day: date
    baseline: Baseline | None
    treatment: Treatment
    recent: list[CheckIn] = field(default_factory=list)
    limited_until: datetime | None = None
    token_used: bool = False


def load_for_check_in(
    patients: QuerySet,
    *,
    now=None,
    history: bool = True,
    form_token=None,
    per_hour: int | None = None,
    day: date | None = None,
    zone: str | None = None,
) -> Patient | None:
    """The patient of `patients` (one row, or none) with `check_in_context`, in one query.

    The patient row comes with their team and user, the active baseline, the current
    treatment, with `history` their check-ins of the days the engine looks back on,
    with `per_hour` the time their hour's limit ends if it is reached (the newest
    `per_hour` check-ins of the last hour, found on the (patient, submitted_at)
    index), and with `form_token` whether that form was saved already. The recent
    check-ins are joined, so the patient's row comes once for each of them.

    `day`: the calendar day judged, when known (an earlier check-in's); by default
    the patient's today, which depends on their zone, read in the same row. `zone`,
    the zone they were last seen in (the check-in page keeps it in the session),
    gives the days to read; without it, the dates today may be anywhere are read
    and the right ones kept. Should the zone have changed since, the days before
    are read again for the right dates (one more query, once).
    """
    where = _by_id_or_user(patients)
    if where is None:
        try:
            sql, params = patients.values("pk").query.sql_with_params()
        except EmptyResultSet:
            return None
        where = f"IN ({sql})", list(params)
    return _load(*where, now, history, form_token, per_hour, day, zone)


def _by_id_or_user(patients: QuerySet) -> tuple[str, list] | None:
    """The WHERE on the patient's id for `patients` filtered only by id or by user
    (the access helpers' querysets), written without compiling the queryset, which
    cost the request more than running the statement; None for any other."""
    query, model = patients.query, patients.model
    children = query.where.children
    if (
        model is not Patient
        or len(children) != 1
        or query.where.negated
        or query.is_sliced
        or getattr(children[0], "lookup_name", None) != "exact"
        or not isinstance(children[0].rhs, int)
        or getattr(children[0].lhs, "alias", None) != model._meta.db_table
    ):
        return None
    lookup = children[0]
    if lookup.lhs.target is model._meta.pk:
        return "= %s", [lookup.rhs]
    if lookup.lhs.target is model._meta.get_field("user"):
        table, quote = _table(model), connection.ops.quote_name
        column, pk = quote(lookup.lhs.target.column), quote(model._meta.pk.column)
        return f"IN (SELECT {pk} FROM {table} WHERE {column} = %s)", [lookup.rhs]  # noqa: S608
    return None


def load_patient_for_check_in(patient_id: int, *, now, day: date) -> Patient | None:
    """load_for_check_in for a patient known by id, with their history of the days
    before `day` (the worker's evaluation of a saved check-in)."""
    return _load("= %s", [patient_id], now, True, None, None, day, None)


def _load(where, where_params, now, history, form_token, per_hour, day, zone) -> Patient | None:
    """load_for_check_in, as one statement written once (_LoadStatement): building
    the same query with the ORM cost more CPU, in the request and in the worker,
    than the rest of a check-in's reads and writes together."""
    now = now or timezone.now()
    first, last = _days_to_read(now, day, zone)
    token = _uuid(form_token)
    statement = _statement(history, per_hour, token is not None)
    params = statement.params(
        now=now, first=first, last=last, token=token, where_params=where_params
    )
    with connection.cursor() as cursor:
        _execute_prepared(cursor, statement.sql + where, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    patient, baseline, treatment, limit_reached_by, token_used = statement.patient(rows[0])
    day = day or patient.local_date(now)
    recent = [
        check_in
        for row in rows
        if (check_in := statement.recent(row)) is not None
        and day - timedelta(days=DAYS_BEFORE) <= check_in.local_date < day
    ]
    if history and not first <= day - timedelta(days=DAYS_BEFORE) < day <= last:
        recent = list(_recent_days(patient, day, now))  # their zone changed since
    patient.check_in_context = CheckInContext(
        now=now,
        day=day,
        baseline=baseline,
        treatment=_treatment(treatment),
        recent=recent,
        limited_until=limit_reached_by + timedelta(hours=1) if limit_reached_by else None,
        token_used=bool(token_used),
    )
    return patient


def _execute_prepared(cursor, sql: str, params: list) -> None:
    """execute_prepared, saying in its comment that it reads the patient (the load)."""
    execute_prepared(cursor, sql, params, said=f"load_for_check_in FROM {_table(Patient)}")


def _column(model, name: str, alias: str) -> str:
    """A field's column under a table alias, quoted for this database."""
    quote = connection.ops.quote_name
    return f"{quote(alias)}.{quote(model._meta.get_field(name).column)}"


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _converters(field, alias: str = "x") -> list:
    """What the ORM does to a value of `field`'s column read from this database."""
    col = field.get_col(alias)
    return [
        (convert, col)
        for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection)
    ]


def _first_of(model, alias: str, of_patient: str, newest_first: tuple[str, str]) -> str:
    """LEFT JOIN of the patient's first row of `model` in the order `newest_first`.

    On PostgreSQL a LATERAL subquery: read from the patient's rows on an index,
    whatever the statistics (joined on `id = (subquery)`, the planner may hash the
    whole table, as it did for treatments without them)."""
    pk, order = (
        _column(model, "id", alias),
        ", ".join(f"{_column(model, name, 'x')} DESC" for name in newest_first),
    )
    if connection.vendor == "postgresql":
        return (
            f"LEFT OUTER JOIN LATERAL (SELECT * FROM {_table(model)} x WHERE {of_patient} "  # noqa: S608
            f"ORDER BY {order} LIMIT 1) {alias} ON TRUE"
        )
    return (
        f"LEFT OUTER JOIN {_table(model)} {alias} ON {pk} = (SELECT {_column(model, 'id', 'x')} "  # noqa: S608
        f"FROM {_table(model)} x WHERE {of_patient} ORDER BY {order} LIMIT 1)"
    )


class _Columns:
    """A model's concrete columns under a table alias in a statement: their SQL, and
    the instance made from their values in a row (converted as the ORM converts
    them), or None when a LEFT JOIN found no row."""

    def __init__(self, model, alias: str, start: int):
        self.model, self.start = model, start
        fields = model._meta.concrete_fields
        self.end = start + len(fields)
        self.sql = ", ".join(_column(model, f.name, alias) for f in fields)
        self.pk = fields.index(model._meta.pk)
        self.converted = [(i, c) for i, f in enumerate(fields) if (c := _converters(f, alias))]

    def instance(self, row):
        values = list(row[self.start : self.end])
        if values[self.pk] is None:
            return None
        for i, converters in self.converted:
            for convert, col in converters:
                values[i] = convert(values[i], col, connection)
        return self.model.from_db(connection.alias, None, values)


class _LoadStatement:
    """The SELECT of load_for_check_in, written once a shape (history or not, the
    hour's limit or not, a form token or not) for this database: the patient, team,
    user, active baseline and current treatment, the recent check-ins and their
    baselines (LEFT JOINs, so a row a recent check-in), the hour's limit and the
    token's use as subqueries. Only a request's values are its parameters; the
    WHERE on the patient's id comes last (`sql + where`)."""

    def __init__(self, history: bool, per_hour: int | None, token: bool):
        self.history, self.per_hour, self.token = history, per_hour, token
        team = Patient._meta.get_field("care_team").related_model
        user = Patient._meta.get_field("user").related_model
        models = [(Patient, "p"), (team, "t"), (user, "u"), (Baseline, "b")]
        models.append((TreatmentRecord, "tr"))
        if history:
            models += [(CheckIn, "c"), (Baseline, "cb")]
        self.parts, start = [], 0
        for model, alias in models:
            self.parts.append(_Columns(model, alias, start))
            start = self.parts[-1].end
        self.extra = start
        models_of_patient = (CheckIn, Baseline, TreatmentRecord)
        # Only names from the models' _meta and an int are written into the SQL (hence
        # the noqa: S608); every value of a request is a parameter.
        columns = [part.sql for part in self.parts]
        patient_id = _column(Patient, "id", "p")
        of_patient = {m: f"{_column(m, 'patient', 'x')} = {patient_id}" for m in models_of_patient}
        submitted = _column(CheckIn, "submitted_at", "x")
        if per_hour:
            # The per_hour-th newest check-in of the last hour: the limit is reached.
            columns.append(
                f"(SELECT {submitted} FROM {_table(CheckIn)} x WHERE {of_patient[CheckIn]} "  # noqa: S608
                f"AND {submitted} > %s ORDER BY {submitted} DESC "
                f"LIMIT 1 OFFSET {int(per_hour) - 1})"
            )
        else:
            columns.append("NULL")
        if token:
            columns.append(
                f"EXISTS (SELECT 1 FROM {_table(CheckIn)} x WHERE {of_patient[CheckIn]} "  # noqa: S608
                f"AND {_column(CheckIn, 'form_token', 'x')} = %s)"
            )
        else:
            columns.append("NULL")
        joins = [
            f"INNER JOIN {_table(team)} t ON {_column(team, 'id', 't')} = "
            f"{_column(Patient, 'care_team', 'p')}",
            f"INNER JOIN {_table(user)} u ON {_column(user, 'id', 'u')} = "
            f"{_column(Patient, 'user', 'p')}",
            # The active baseline (Patient.active_baseline) and the current treatment
            # (TreatmentQuerySet.current_first): each the first of the patient's rows.
            _first_of(Baseline, "b", of_patient[Baseline], ("created_at", "id")),
            _first_of(TreatmentRecord, "tr", of_patient[TreatmentRecord], ("start_date", "id")),
        ]
        if history:
            submitted, day = (
                _column(CheckIn, "submitted_at", "c"),
                _column(CheckIn, "local_date", "c"),
            )
            joins += [
                f"LEFT OUTER JOIN {_table(CheckIn)} c ON {_column(CheckIn, 'patient', 'c')} = "
                f"{patient_id} AND {submitted} >= %s AND {submitted} <= %s "
                f"AND {day} >= %s AND {day} < %s",
                f"LEFT OUTER JOIN {_table(Baseline)} cb ON {_column(Baseline, 'id', 'cb')} = "
                f"{_column(CheckIn, 'baseline', 'c')}",
            ]
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {_table(Patient)} p "  # noqa: S608
            f"{' '.join(joins)} WHERE {patient_id} "
        )
        self.submitted_at = CheckIn._meta.get_field("submitted_at")
        self.local_date = CheckIn._meta.get_field("local_date")
        self.form_token = CheckIn._meta.get_field("form_token")
        self.reached_by = _converters(self.submitted_at)

    def params(self, *, now, first, last, token, where_params, sent=None) -> list:
        """The parameters, in the statement's order, as the ORM would send them.
        `sent`: the (earliest, latest) submitted_at of the check-ins judged, when
        several are (load_patients_for_check_ins); by default `now`."""
        moment, day = self.submitted_at.get_db_prep_value, self.local_date.get_db_prep_value
        earliest, latest = sent or (now, now)
        values = []
        if self.per_hour:
            values.append(moment(now - timedelta(hours=1), connection))
        if self.token:
            values.append(self.form_token.get_db_prep_value(token, connection))
        if self.history:
            values += [
                moment(earliest - _RECENT_SPAN, connection),
                moment(latest + _RECENT_SPAN, connection),
                day(first, connection),
                day(last, connection),
            ]
        return values + where_params

    def patient_id(self, row) -> int:
        return row[self.parts[0].start + self.parts[0].pk]

    def patient(self, row):
        """From the first row: the patient (team and user attached), their active
        baseline, current treatment, the hour's limit's end and the token's use."""
        patient, team, user, baseline, treatment = (p.instance(row) for p in self.parts[:5])
        patient.care_team, patient.user = team, user
        reached_by = row[self.extra]
        if reached_by is not None:
            for convert, col in self.reached_by:
                reached_by = convert(reached_by, col, connection)
        return patient, baseline, treatment, reached_by, row[self.extra + 1]

    def recent(self, row) -> CheckIn | None:
        """The recent check-in of a row (its baseline attached), if it has one."""
        if not self.history:
            return None
        check_in = self.parts[5].instance(row)
        if check_in is not None:
            check_in.baseline = self.parts[6].instance(row)
        return check_in


_STATEMENTS: dict[tuple, object] = {}


def _statement(history: bool, per_hour: int | None, token: bool) -> _LoadStatement:
    key = (connection.vendor, history, per_hour, token)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _LoadStatement(history, per_hour, token)
    return _STATEMENTS[key]


def _days_to_read(now, day: date | None, zone: str | None) -> tuple[date, date]:
    """The dates (first, last excluded) of the days before `day`, or before today in
    `zone`, or, with neither, of every day that may be among them in some zone."""
    if day is None and zone:
        try:
            day = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            day = None
    if day is not None:
        return day - timedelta(days=DAYS_BEFORE), day
    utc_day = now.astimezone(UTC).date()
    return utc_day - timedelta(days=DAYS_BEFORE + 1), utc_day + timedelta(days=1)


def _recent_days(patient: Patient, day: date, now) -> QuerySet:
    return CheckIn.objects.filter(
        patient=patient,
        submitted_at__gte=now - _RECENT_SPAN,
        submitted_at__lte=now + _RECENT_SPAN,
        local_date__gte=day - timedelta(days=DAYS_BEFORE),
        local_date__lt=day,
    ).select_related("baseline")


def _treatment(treatment) -> Treatment:
    return Treatment(treatment.with_chemotherapy, treatment.status) if treatment else Treatment()


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def record_baseline(*, patient: Patient, values: dict, recorded_by) -> Baseline:
    """A new baseline becomes the active one; earlier ones are kept for earlier check-ins."""
    return Baseline.objects.create(patient=patient, recorded_by=recorded_by, **values)


def record_check_in(
    *,
    patient: Patient,
    answers: dict,
    entered_by: str,
    user,
    free_text: str = "",
    new_medicines: str = "",
    form_token=None,
    now=None,
    actor=None,
    limit: bool = False,
) -> tuple[CheckIn, Evaluation, bool]:
    """Save a check-in, judge it at once for the patient's advice, queue the worker.

    The engine runs once, on what `load_for_check_in` read with the patient (read
    here when the patient came without it). `actor` (a request or a user): the
    audit trail's "created" row, written in the check-in's transaction.

    The same form submitted twice (same form_token, same answers) saves once: the
    second call returns the first check-in with created=False. A form sent again
    with changed answers (back, tick another box, send) is a new check-in.

    With `limit`, a new check-in beyond CHECK_INS_PER_HOUR in the last hour (the
    patient's and their carers' together) raises TooManyCheckIns and saves nothing,
    unless it reports a warning sign (a red- or amber-flag item answered yes) or the
    engine judges it red or emergency: those are never refused, since they are what
    the team most needs to hear about. So the engine runs first, and the limit
    refuses only green and amber check-ins without a warning sign. A form sent
    again (its token saved already) is answered as above, never refused.
    """
    context = getattr(patient, "check_in_context", None)
    if context is None or (now is not None and now != context.now):
        patient = load_for_check_in(
            Patient.objects.filter(pk=patient.pk),
            now=now,
            form_token=form_token,
            per_hour=settings.CHECK_INS_PER_HOUR if limit else None,
        )
        context = patient.check_in_context
    now = context.now
    if context.token_used:
        found = _sent_before(patient, answers, free_text, new_medicines, form_token)
        if isinstance(found, CheckIn):
            return found, evaluate(found), False
        form_token = found
    check_in = CheckIn(
        patient=patient,
        baseline=context.baseline,
        submitted_at=now,
        local_date=context.day,
        entered_by=entered_by,
        entered_by_user=user,
        free_text=free_text,
        new_medicines=new_medicines,
        form_token=form_token,
        **answers,
    )
    evaluation = _evaluate(check_in, context.baseline, context.recent, context.treatment)
    check_in.urgency = evaluation.urgency
    if limit and context.limited_until and not never_refused(answers, evaluation):
        raise TooManyCheckIns(context.limited_until)
    created = audit.event(actor, "created", patient, obj=check_in) if actor is not None else None
    try:
        # The check-in and its audit row, both or neither, in one statement on
        # PostgreSQL (insert_pair); inside a caller's transaction, under a savepoint,
        # so that a duplicate token leaves that transaction usable.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            if created is None:
                insert(check_in)
            else:
                insert_pair(check_in, created, link="object_id")
    except IntegrityError:
        # The same token saved by a concurrent request a moment ago.
        earlier = CheckIn.objects.get(form_token=form_token, patient=patient)
        return earlier, evaluate(earlier), False
    check_in_recorded.send(sender=CheckIn, check_in=check_in)
    return check_in, evaluation, True


def never_refused(answers: dict, evaluation: Evaluation) -> bool:
    """A check-in the hour's limit never refuses: a warning sign answered yes, or red
    or emergency."""
    return evaluation.urgency in (RED, EMERGENCY) or any(
        answers.get(key) is True for key in WARNING_SIGNS
    )


def _sent_before(patient, answers, free_text, new_medicines, form_token) -> CheckIn | uuid.UUID:
    """The check-in this form (these answers) saved already, or the token to save a
    changed version under."""
    earlier = CheckIn.objects.filter(form_token=form_token, patient=patient).first()
    if earlier is None or _same(earlier, answers, free_text, new_medicines):
        return earlier or form_token
    # Back, change, send: a new check-in under a token of its own (the form's and
    # these answers), so that this version sent twice is saved once too.
    token = _variant(form_token, answers, free_text, new_medicines)
    again = CheckIn.objects.filter(form_token=token, patient=patient).first()
    return again if again is not None else token


def _variant(token, answers: dict, free_text: str, new_medicines: str) -> uuid.UUID:
    answered = sorted((k, str(v)) for k, v in answers.items() if v is not None)
    return uuid.uuid5(uuid.UUID(str(token)), json.dumps([answered, free_text, new_medicines]))


def _same(check_in: CheckIn, answers: dict, free_text: str, new_medicines: str) -> bool:
    return (
        check_in.answers() == {k: v for k, v in answers.items() if v is not None}
        and check_in.free_text == free_text
        and check_in.new_medicines == new_medicines
    )


def claim_for_evaluation(check_in_id: int, *, now) -> tuple[CheckIn, Evaluation] | None:
    """The worker's claim of a check-in (evaluated_at from NULL to `now`), with the
    engine's verdict on it; None when it was claimed before. Call it in the
    transaction that writes what the verdict makes, so that a failure leaves the
    check-in unclaimed for the sweep.

    Two queries, however long the history: the UPDATE returns the check-in's row,
    then the patient with their team, user, usual, treatment and the days before
    (load_patient_for_check_in). The engine judges what the database holds, as
    `evaluate` does; the check-in's own baseline is read apart only when it is no
    longer the patient's active one.
    """
    statement = _claim_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql(1), statement.params([check_in_id], now))
        row = cursor.fetchone()
    if row is None:
        return None
    check_in = statement.part.instance(row)
    patient = load_patient_for_check_in(
        check_in.patient_id, now=check_in.submitted_at, day=check_in.local_date
    )
    context = patient.check_in_context
    return _judged(check_in, patient, context.baseline, context.treatment, context.recent)


def claim_many_for_evaluation(check_in_ids, *, now) -> list[tuple[CheckIn, Evaluation]]:
    """claim_for_evaluation for several check-ins at once (the worker's batches of
    green ones: alerts.tasks.evaluate_check_ins): those not claimed before, in id
    order, each with the engine's verdict. Two queries however many: one UPDATE ...
    RETURNING, then all their patients with what judging needs
    (load_patients_for_check_ins). Call it in the transaction that writes the
    verdicts."""
    ids = sorted(set(check_in_ids))
    if not ids:
        return []
    statement = _claim_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql(len(ids)), statement.params(ids, now))
        check_ins = sorted((statement.part.instance(row) for row in cursor.fetchall()), key=_pk)
    if not check_ins:
        return []
    loaded = load_patients_for_check_ins(check_ins)
    claimed = []
    for check_in in check_ins:
        patient, baseline, treatment, recent = loaded[check_in.patient_id]
        day = check_in.local_date
        recent = [c for c in recent if day - timedelta(days=DAYS_BEFORE) <= c.local_date < day]
        claimed.append(_judged(check_in, patient, baseline, treatment, recent))
    return claimed


def _pk(instance) -> int:
    return instance.pk


def _judged(check_in: CheckIn, patient: Patient, active, treatment, recent):
    """A claimed check-in with its patient and its own baseline attached, and the
    engine's verdict on it. `active`: the patient's active baseline."""
    check_in.patient = patient
    if check_in.baseline_id is None or (active is not None and active.pk == check_in.baseline_id):
        check_in.baseline = active if check_in.baseline_id is not None else None
    else:
        check_in.baseline = Baseline.objects.get(pk=check_in.baseline_id)
    return check_in, _evaluate(check_in, check_in.baseline, recent, treatment)


def load_patients_for_check_ins(check_ins: list[CheckIn]) -> dict[int, tuple]:
    """For the worker's batch: each patient of `check_ins`, by id, as (patient with
    team and user, active baseline, Treatment, their check-ins of the days any of
    these check-ins looks back on), in one query (load_for_check_in's statement,
    over all the patients and all those days)."""
    days = [c.local_date for c in check_ins]
    sent = [c.submitted_at for c in check_ins]
    statement = _statement(True, None, False)
    patient_ids = sorted({c.patient_id for c in check_ins})
    if connection.vendor == "postgresql":
        where, where_params = "= ANY(%s)", [patient_ids]  # one statement, prepared once
    else:
        where, where_params = f"IN ({', '.join(['%s'] * len(patient_ids))})", patient_ids
    params = statement.params(
        now=None,
        first=min(days) - timedelta(days=DAYS_BEFORE),
        last=max(days),
        token=None,
        where_params=where_params,
        sent=(min(sent), max(sent)),
    )
    with connection.cursor() as cursor:
        _execute_prepared(cursor, statement.sql + where, params)
        rows = cursor.fetchall()
    loaded: dict[int, tuple] = {}
    for row in rows:
        patient_id = statement.patient_id(row)
        if patient_id not in loaded:
            patient, baseline, treatment, _limit, _token = statement.patient(row)
            loaded[patient_id] = (patient, baseline, _treatment(treatment), [])
        if (check_in := statement.recent(row)) is not None:
            loaded[patient_id][3].append(check_in)
    return loaded


class _ClaimStatement:
    """UPDATE ... RETURNING of claim_for_evaluation (one check-in) and of
    claim_many_for_evaluation, written once for this database."""

    def __init__(self):
        self.part = _Columns(CheckIn, "x", 0)
        quote = connection.ops.quote_name
        evaluated, table = CheckIn._meta.get_field("evaluated_at"), _table(CheckIn)
        self.evaluated_at = evaluated
        returning = self.part.sql.replace(f"{quote('x')}.", "")
        self.head = (
            f"UPDATE {table} SET {quote(evaluated.column)} = %s "  # noqa: S608 - names only
            f"WHERE {quote(evaluated.column)} IS NULL AND {quote(CheckIn._meta.pk.column)} "
        )
        self.returning = f" RETURNING {returning}"

    def sql(self, count: int) -> str:
        """For `count` ids."""
        if count == 1:
            return f"{self.head}= %s{self.returning}"
        return f"{self.head}IN ({', '.join(['%s'] * count)}){self.returning}"

    def params(self, check_in_ids: list[int], now) -> list:
        return [self.evaluated_at.get_db_prep_value(now, connection), *check_in_ids]


def _claim_statement() -> _ClaimStatement:
    key = (connection.vendor, "claim")
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _ClaimStatement()
    return _STATEMENTS[key]


def evaluate(check_in: CheckIn) -> Evaluation:
    """Run the engine on a check-in (saved or not) with its baseline and the 2 days
    before (read, with the current treatment, in one query).

    The worker calls it (alerts.services.flagging) on the saved check-in; the
    request judged it already with what it had read (record_check_in)."""
    context = load_patient_for_check_in(
        check_in.patient_id, now=check_in.submitted_at or timezone.now(), day=check_in.local_date
    ).check_in_context
    return _evaluate(check_in, check_in.baseline, context.recent, context.treatment)


def _evaluate(check_in: CheckIn, baseline, recent, treatment: Treatment) -> Evaluation:
    history = [
        PastCheckIn(
            (check_in.local_date - c.local_date).days,
            c.answers(),
            c.baseline.answers() if c.baseline else {},
        )
        for c in recent
    ]
    return evaluate_check_in(
        check_in.answers(),
        baseline.answers() if baseline else {},
        history=history,
        treatment=treatment,
    )
