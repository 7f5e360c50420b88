"""The check-in's loading statement, prepared once a connection on PostgreSQL
(patients/services/check_ins.py): a failed run does not break the connection."""

import pytest
from django.db import DataError, connection, transaction

from patients.services import check_ins


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
@pytest.mark.django_db
def test_a_statement_whose_first_run_failed_is_prepared_again_under_a_new_name():
    """PostgreSQL keeps a PREPARE whose EXECUTE failed (prepared statements ignore
    rollbacks): preparing it again under the same name would fail on every later
    check-in on that connection."""
    sql = "SELECT 1 / %s AS x WHERE 1 = %s"
    with connection.cursor() as cursor:
        with pytest.raises(DataError), transaction.atomic():
            check_ins._execute_prepared(cursor, sql, [0, 1])  # division by zero
        with transaction.atomic():
            check_ins._execute_prepared(cursor, sql, [1, 1])
            assert cursor.fetchall() == [(1,)]
        check_ins._execute_prepared(cursor, sql, [2, 1])  # prepared now: run again
        assert cursor.fetchall() == [(0,)]
