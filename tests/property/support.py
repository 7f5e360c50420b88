"""Helpers for the property-based tests of bad input (hypothesis).

Every example runs inside a savepoint that is rolled back (`rolled_back`), so that the
database is the same at the start of each one. A post is judged by `check_post`: never a
server error; when it is not accepted, nothing in the database has changed and the page
shows a message for each problem of the form.
"""

import os
import traceback
from contextlib import contextmanager

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

# A fixture-bound test runs many examples: the fixtures' rows stay, each example's go.
SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


# The suite keeps to about a minute: FUZZ_SCALE=10 runs ten times the examples, and
# FUZZ_SHRINK=1 shrinks a failing example to a minimal one (minutes, for a page).
FUZZ_SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
PHASES = (
    tuple(Phase)
    if os.environ.get("FUZZ_SHRINK") == "1"
    else (
        Phase.explicit,
        Phase.reuse,
        Phase.generate,
    )
)


def fuzz(max_examples: int):
    """@settings for a property of this suite: no deadline (a page takes what it takes)."""
    return settings(
        max_examples=max(1, round(max_examples * FUZZ_SCALE)),
        deadline=None,
        suppress_health_check=SUPPRESS,
        phases=PHASES,
    )


@contextmanager
def rolled_back():
    """Run one example in a savepoint and undo whatever it wrote."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# The database, before and after ------------------------------------------------------


def _watched_models():
    models = [get_user_model()]
    for label in ("patients", "alerts"):
        models.extend(apps.get_app_config(label).get_models())
    return [model for model in models if model.__name__ != "SendCount"]


def _rows(model):
    rows = model.objects.order_by("pk")
    if model.__name__ == "AuditEvent":
        # Showing a page again is a view, and views are audited (patients/audit.py).
        rows = rows.exclude(action="viewed")
    return list(rows.values_list())


def snapshot() -> dict[str, list[tuple]]:
    """Every row of the app's tables and of the users, ordered. Left out: sessions (a
    request may touch its own), login attempts (django-axes counts failures on purpose),
    the counts of emails asked for (base/throttle.py counts them on purpose),
    Django's static tables, and the audit trail's "viewed" events."""
    return {model._meta.label: _rows(model) for model in _watched_models()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after.get(label)]


AUDIT = "patients.AuditEvent"  # a change is audited beside the change (patients/audit.py)


def assert_changed_only(changed: list[str], *labels: str, required: bool = True) -> None:
    """An accepted post changed these tables (each of them, unless not `required`), and
    no other but the audit trail."""
    assert set(changed) - {AUDIT} <= set(labels), f"also changed: {changed}"
    if required:
        assert set(labels) <= set(changed), f"changed {changed}, not all of {labels}"


# Clients and responses -----------------------------------------------------------------


def new_client(user=None) -> Client:
    """A client that returns a 500 response instead of raising, as a browser sees it."""
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def not_a_server_error(response) -> None:
    if response.status_code >= 500:
        exc = getattr(response, "exc_info", None)
        detail = "".join(traceback.format_exception(*exc)) if exc else response.content[:2000]
        raise AssertionError(f"server error {response.status_code}:\n{detail}")


def messages_of(form) -> tuple[list[str], list[str]]:
    """(messages a page must show, errors of hidden fields) of a form or a formset."""
    if form is None:
        return [], []
    if hasattr(form, "forms"):  # a formset
        shown, hidden = list(form.non_form_errors()), []
        for each in form.forms:
            more, more_hidden = messages_of(each)
            shown.extend(more)
            hidden.extend(more_hidden)
        return shown, hidden
    hidden_names = {field.name for field in form.hidden_fields()}
    shown = [m for name, errors in form.errors.items() if name not in hidden_names for m in errors]
    hidden = [m for name, errors in form.errors.items() if name in hidden_names for m in errors]
    return shown, hidden


def assert_problems_shown(response, *form_keys: str) -> list[str]:
    """The page names each problem of the refused form: the form has errors, and each
    error message is on the page (escaped as the template escapes it).

    An error of a hidden field (a row's id in a formset) cannot be shown beside it: a
    formset must then say what happened in a message of its own (a non-form error)."""
    shown, hidden, general = [], [], []
    for key in form_keys:
        form = response.context.get(key) if response.context else None
        more, more_hidden = messages_of(form)
        shown.extend(more)
        hidden.extend(more_hidden)
        if hasattr(form, "non_form_errors"):
            general.extend(form.non_form_errors())
    assert shown, f"refused (status {response.status_code}) without a message on the page"
    assert general or not hidden, (
        f"refused for hidden fields ({hidden}) without a message saying what happened"
    )
    html = response.content.decode("utf-8", errors="replace")
    for message in shown:
        assert escape(message) in html, f"the message {message!r} is not on the page"
    assert 'class="invalid-feedback' in html or 'role="alert"' in html or "alert-danger" in html
    return shown


def check_post(client, url, data, **kwargs):
    """Post, and check the invariants every form keeps. Returns (response, changed tables)."""
    client.cookies.pop("messages", None)
    before = snapshot()
    response = client.post(url, data, **kwargs)
    not_a_server_error(response)
    changed = changed_tables(before, snapshot())
    if response.status_code not in (301, 302, 303):
        assert not changed, f"a refused post ({response.status_code}) changed {changed}"
    return response, changed


# Values --------------------------------------------------------------------------------

ADVERSARIAL = [
    "",
    " ",
    "0",
    "-0",
    "-1",
    "4",
    "5",
    "1.5",
    "3.0",
    "NaN",
    "nan",
    "sNaN",
    "-NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1e309",
    "1e-309",
    "1E+999999999",
    "9" * 40,
    "-" + "9" * 40,
    "9" * 5000,
    "0x10",
    "1_000",
    "\u0661",  # an Arabic-Indic digit one
    "\uff13",  # a full-width three
    "37,5",
    "37.5",
    "98.6",
    "\x00",
    "1\x00",
    "a\x00b",
    "\x00" * 10,
    "null",
    "None",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "'; DROP TABLE patients_checkin; --",
    "\u202e\u0635\u062d\u0629",
    "\U0001f600" * 3,
    "e\u0301",
    "\r\n",
    "\t",
    "\ufeff",
    "%00",
    "../../etc/passwd",
    "x" * 2001,
]

unicode_text = st.text(st.characters(codec="utf-8"), max_size=60)  # NUL and controls too
long_text = st.sampled_from([300, 301, 1000, 1001, 2000, 2001, 10_000]).flatmap(
    lambda n: st.sampled_from(["x" * n, "é" * n, "\U0001f600" * n, "a\x00" * (n // 2)])
)
adversarial = st.one_of(
    st.sampled_from(ADVERSARIAL),
    unicode_text,
    st.integers().map(str),
    st.floats().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
# What a form field can be sent as: a value, several values (a list), a number, nothing.
posted_value = st.one_of(
    adversarial,
    st.lists(adversarial, min_size=2, max_size=3),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
)


def drop_or_junk(data: dict, junk: dict, drop: set) -> dict:
    """The valid `data` with some fields dropped and others replaced by junk."""
    return {k: v for k, v in {**data, **junk}.items() if k not in drop}
