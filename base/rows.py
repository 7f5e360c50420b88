"""Statements written once and, on PostgreSQL, prepared once a connection: the
check-in's read of what judging needs (patients.services.check_ins) and the INSERT
of a new row (`insert`). Building the same SQL with the ORM for every check-in, and
having PostgreSQL plan it anew, cost more CPU than running it."""

import itertools
import weakref

from django.db import connection, models, transaction

# PostgreSQL plans a statement anew each time it is sent, and planning the check-in's
# read cost ten times what running it did (1.6 ms against 0.15, in the request and again in the
# worker). Prepared once for each connection (the server keeps it until the
# connection closes, whatever its transactions do), it is planned once, or a few
# times until PostgreSQL settles on a plan. The names prepared, by connection.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NAMES = itertools.count()


def execute_prepared(cursor, sql: str, params: list, *, said: str) -> None:
    """cursor.execute(sql, params), prepared on PostgreSQL (elsewhere, as it is).
    `said`: what the statement does, written in a comment after it."""
    raw = connection.connection
    if connection.vendor != "postgresql" or raw is None or "%%" in sql:
        cursor.execute(sql, params)
        return
    names = _PREPARED.setdefault(raw, {})
    name = names.get(sql)
    prepare = ""
    if name is None:
        # Prepared and run in one round trip, so that the first use counts one query too.
        # A name never used before on any connection: should the EXECUTE fail, the
        # PREPARE stands all the same (prepared statements ignore rollbacks) and is
        # not recorded, so the next try must not reuse its name.
        name = f"statement_{next(_NAMES)}"
        pieces = sql.split("%s")
        numbered = "".join(f"{piece}${n}" for n, piece in enumerate(pieces[:-1], 1))
        prepare = f"PREPARE {name} AS {numbered}{pieces[-1]}; "
    arguments = f" ({', '.join(['%s'] * len(params))})" if params else ""
    # The comment says in the server's log (and to a test counting reads of a table)
    # what the prepared statement reads.
    cursor.execute(f"{prepare}EXECUTE {name}{arguments} /* {said} */", params)
    names[sql] = name


class _InsertStatement:
    """INSERT ... RETURNING of a new row of `model`, written once for this database."""

    def __init__(self, model):
        meta, quote = model._meta, connection.ops.quote_name
        self.fields = [
            f for f in meta.concrete_fields if f is not meta.auto_field and not f.generated
        ]
        self.returning = connection.features.can_return_columns_from_insert
        table = quote(meta.db_table)
        self.said = f"INSERT INTO {table}"
        self.sql = (
            f"INSERT INTO {table} ({', '.join(quote(f.column) for f in self.fields)}) "  # noqa: S608 - names only
            f"VALUES ({', '.join(['%s'] * len(self.fields))})"
        )
        if self.returning:
            self.sql += f" RETURNING {quote(meta.pk.column)}"
        self.plan = _plan(self.fields)


# Fields whose value of this type (or None) is written as it is: Django's preparation
# returns it unchanged (int(), bool(), str() of what already is one), and their
# pre_save only reads the attribute. Exact classes only: a subclass may prepare
# differently. Every other field, and any other value, is prepared as save() does.
_AS_IS = {
    **dict.fromkeys(
        (
            models.IntegerField,
            models.SmallIntegerField,
            models.BigIntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField,
        ),
        int,
    ),
    models.BooleanField: bool,
    models.CharField: str,
    models.TextField: str,
}


_IDS = (models.AutoField, models.BigAutoField)


def _plan(fields) -> list[tuple]:
    """For each field: the field, its attribute, and the type written as it is (or None)."""
    plan = []
    for f in fields:
        kind = _AS_IS.get(type(f))
        by_id = type(f) is models.ForeignKey and type(f.target_field) in _IDS
        if kind is None and by_id:
            kind = int
        plan.append((f, f.attname, kind))
    return plan


def insert(instance) -> None:
    """instance.save() of a new row, as one statement written once a model and
    prepared on PostgreSQL: the ORM compiled the INSERT of a check-in's 40 columns
    anew for every check-in, which cost the request more than the engine and the read
    of what it judges together. No model signal is sent: use it only for models
    nothing listens to (a check-in, an audit row)."""
    statement = _statement_for(type(instance))
    values = _values(statement, instance)
    with connection.cursor() as cursor:
        execute_prepared(cursor, statement.sql, values, said=statement.said)
        instance.pk = cursor.fetchone()[0] if statement.returning else cursor.lastrowid
    instance._state.adding, instance._state.db = False, connection.alias


_INSERTS: dict[tuple, _InsertStatement] = {}


def _statement_for(model) -> _InsertStatement:
    key = (connection.vendor, model)
    if key not in _INSERTS:
        _INSERTS[key] = _InsertStatement(model)
    return _INSERTS[key]


def _values(statement: _InsertStatement, instance) -> list:
    """The row's values as save() prepares them (preparing each of a check-in's 45
    fields through Django's layers cost the request more than the INSERT)."""
    values = []
    for f, attname, kind in statement.plan:
        value = getattr(instance, attname)
        if kind is None or (value is not None and type(value) is not kind):
            value = f.get_db_prep_save(f.pre_save(instance, True), connection)
        values.append(value)
    return values


class _PairStatement:
    """On PostgreSQL, the INSERTs of a row and of a second row that names it (`link`, a
    text column: the first row's id) as one statement: the first INSERT ... RETURNING
    in a WITH, the second taking the id from it."""

    def __init__(self, first, second, link: str):
        one, two = _statement_for(first), _statement_for(second)
        quote = connection.ops.quote_name
        self.link = second._meta.get_field(link)
        self.fields = [f for f in two.fields if f is not self.link]
        self.plan = _plan(self.fields)
        made = f"(SELECT {quote(first._meta.pk.column)} FROM inserted)"  # noqa: S608 - names only
        values = [f"{made}::text" if f is self.link else "%s" for f in two.fields]
        table = quote(second._meta.db_table)
        self.said = f"{one.said}, then INSERT INTO {table}"
        self.sql = (
            f"WITH inserted AS ({one.sql}) INSERT INTO {table} "  # noqa: S608 - names only
            f"({', '.join(quote(f.column) for f in two.fields)}) VALUES ({', '.join(values)}) "
            f"RETURNING {made}, {quote(second._meta.pk.column)}"
        )
        self.first = one


_PAIRS: dict[tuple, _PairStatement] = {}


def insert_pair(first, second, *, link: str) -> None:
    """insert(first), then insert(second) with its `link` field (a text field) set to
    first's id: both or neither. On PostgreSQL one statement, atomic on its own, so
    that a request that writes nothing else needs no transaction (BEGIN and COMMIT
    were two of a check-in's eight round trips); elsewhere in a transaction. As
    `insert`, no model signal is sent."""
    if connection.vendor != "postgresql" or not connection.features.can_return_columns_from_insert:
        # Inside a caller's transaction, a failure rolls all of it back: no savepoint.
        with transaction.atomic(savepoint=False):
            insert(first)
            setattr(second, link, str(first.pk))
            insert(second)
        return
    key = (type(first), type(second), link)
    if key not in _PAIRS:
        _PAIRS[key] = _PairStatement(type(first), type(second), link)
    statement = _PAIRS[key]
    values = _values(statement.first, first) + _values(statement, second)
    with connection.cursor() as cursor:
        execute_prepared(cursor, statement.sql, values, said=statement.said)
        first.pk, second.pk = cursor.fetchone()
    setattr(second, link, str(first.pk))
    for instance in (first, second):
        instance._state.adding, instance._state.db = False, connection.alias


def update_columns(instance, names: list[str]) -> None:
    """instance.save(update_fields=names) of a saved row, as one statement written
    once a model and set of fields and prepared on PostgreSQL. No model signal is
    sent and save() is not called: only for fields nothing else derives (the
    worker's writes to an episode as a flag joins it)."""
    model = type(instance)
    key = (connection.vendor, model, tuple(names))
    if key not in _UPDATES:
        meta, quote = model._meta, connection.ops.quote_name
        fields = [meta.get_field(name) for name in names]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - names only
        _UPDATES[key] = (fields, sql, f"UPDATE {quote(meta.db_table)}")
    fields, sql, said = _UPDATES[key]
    values = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, [*values, instance.pk], said=said)


_UPDATES: dict[tuple, tuple] = {}
