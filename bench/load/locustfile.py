"""The load's users, for Locust (run by bench/load/run.py, which seeds them).

- PatientUser (LOAD_PATIENTS of them, 100): logs in, opens the check-in form,
  takes a few seconds to fill it in, sends it (scenario.py: a share red, a share
  amber, the rest green), reads the advice; then waits and checks in again.
- NurseUser (LOAD_NURSES, 10): logs in and works the triage queue: mostly its
  in-place refresh (?partial=1, what static/js/queue.js fetches), now and then
  the whole page.

Each response is checked (status, and what the page must show), so an error is
a real one. At the end every request's time and every check-in sent (its id
and the urgency it must have) go to LOAD_RESULTS as JSON, for run.py.

Logging in is one function per kind of user (log_in_patient, log_in_nurse):
the place to add the second factor of clinicians or a lockout's rules.
"""

import itertools
import json
import os
import re
import time
from random import Random
from urllib.parse import urlencode

import scenario
from locust import FastHttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
PATIENTS = int(os.environ.get("LOAD_PATIENTS", "100"))
NURSES = int(os.environ.get("LOAD_NURSES", "10"))
RESULTS = os.environ.get("LOAD_RESULTS", "load-results.json")
SEED = int(os.environ.get("LOAD_SEED", "20261122"))
RED_SHARE = float(os.environ.get("LOAD_RED_SHARE", "0.2"))
# The web instances (run.py --instances): each user keeps to one, dealt in turn.
HOSTS = [h for h in os.environ.get("LOAD_HOSTS", "").split(",") if h]
AMBER_SHARE = float(os.environ.get("LOAD_AMBER_SHARE", "0.2"))


def _seconds(name: str, default: str) -> tuple[float, float]:
    low, high = os.environ.get(name, default).split(",")
    return float(low), float(high)


PATIENT_WAIT = _seconds("LOAD_PATIENT_WAIT", "5,15")  # between check-ins
FILL_TIME = _seconds("LOAD_FILL_TIME", "10,30")  # filling in the form
NURSE_WAIT = _seconds("LOAD_NURSE_WAIT", "5,15")  # between refreshes of the queue
# Seconds before a request counts as failed. Logging in costs ~0.7 s of CPU (PBKDF2, 1M
# iterations), so 110 users starting within seconds queue behind each other for a while.
TIMEOUT = float(os.environ.get("LOAD_TIMEOUT", "120"))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
SAVED = re.compile(r"/check-ins/(\d+)/$")
FORM_ERROR = re.compile(r'class="[^"]*invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?([^<]+)')

timings: list[tuple[str, float, bool, float]] = []  # (request kind, ms, ok, when it ended)
submitted: list[dict] = []  # each check-in saved: id, patient, expected urgency, change
user_errors: list[str] = []
_patient_numbers = itertools.count()
_nurse_numbers = itertools.count()


@events.request.add_listener
def _record(request_type, name, response_time, exception, **_kwargs):
    timings.append((f"{request_type} {name}", response_time, exception is None, time.time()))


@events.user_error.add_listener
def _user_error(user_instance, exception, tb, **_kwargs):
    user_errors.append(f"{type(user_instance).__name__}: {type(exception).__name__}: {exception}")


@events.quitting.add_listener
def _write_results(environment, **_kwargs):
    with open(RESULTS, "w", encoding="utf-8") as out:
        json.dump({"timings": timings, "submitted": submitted, "user_errors": user_errors}, out)


def _spread(user, number: int) -> None:
    """Send this user's requests to its share of the web instances (all to --host by default)."""
    if HOSTS:
        user.client.base_url = HOSTS[number % len(HOSTS)]


def _get(client, path: str, name: str):
    """A GET that is not redirected: a page sent elsewhere (to log in again, to a second
    factor) is an error that names where."""
    return client.get(path, name=name, catch_response=True, allow_redirects=False)


def _status(response) -> str:
    where = response.headers.get("Location") if 300 <= response.status_code < 400 else None
    return f"HTTP {response.status_code}" + (f" to {where}" if where else "")


def _form_post(client, path: str, data: dict, name: str):
    return client.post(
        path,
        data=urlencode(data),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        name=name,
        catch_response=True,
        allow_redirects=False,
    )


def _password_login(client, username: str, kind: str) -> bool:
    """Django's /login/: the form (for its CSRF token), then the username and password."""
    with _get(client, "/login/", f"/login/ [{kind}]") as page:
        token = CSRF.search(page.text or "")
        if page.status_code != 200 or not token:
            page.failure(f"login form: {_status(page)}, CSRF token found: {bool(token)}")
            return False
    data = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD}
    with _form_post(client, "/login/", data, f"/login/ [{kind}]") as sent:
        if sent.status_code != 302:
            sent.failure(f"not logged in: {_status(sent)}")
            return False
    return True


def log_in_patient(client, username: str) -> bool:
    return _password_login(client, username, "patient")


def log_in_nurse(client, username: str) -> bool:
    """The password, then the code from the nurse's authenticator app (/two-factor/)."""
    if not _password_login(client, username, "nurse"):
        return False
    with _get(client, "/two-factor/", "/two-factor/ [nurse]") as page:
        token = CSRF.search(page.text or "")
        if page.status_code != 200 or not token:
            page.failure(f"code form: {_status(page)}, CSRF token found: {bool(token)}")
            return False
    code = scenario.totp_code(scenario.nurse_totp_key(username))
    data = {"csrfmiddlewaretoken": token.group(1), "code": code}
    with _form_post(client, "/two-factor/", data, "/two-factor/ [nurse]") as sent:
        if sent.status_code != 302:
            sent.failure(f"code refused: {_status(sent)}")
            return False
    return True


class PatientUser(FastHttpUser):
    fixed_count = PATIENTS
    wait_time = between(*PATIENT_WAIT)
    network_timeout = connection_timeout = TIMEOUT

    def on_start(self):
        number = next(_patient_numbers)
        _spread(self, number)
        self.username = scenario.patient_username(number)
        self.patient = scenario.Patient(SEED + number, RED_SHARE, AMBER_SHARE)
        self.rng = Random(SEED * 7 + number)
        self.logged_in = log_in_patient(self.client, self.username)
        if self.logged_in:
            with _get(self.client, "/", "/ [patient]") as home:
                if home.status_code != 200 or "/check-in/" not in home.text:
                    home.failure(f"dashboard: {_status(home)}")

    @task
    def check_in(self):
        if not self.logged_in:
            self.logged_in = log_in_patient(self.client, self.username)
            return
        with _get(self.client, "/check-in/", "/check-in/") as form:
            csrf, token = CSRF.search(form.text or ""), FORM_TOKEN.search(form.text or "")
            if form.status_code != 200 or not (csrf and token):
                form.failure(f"check-in form: {_status(form)}, form found: {bool(token)}")
                return
        change = self.patient.next_change()
        time.sleep(self.rng.uniform(*FILL_TIME))  # cooperative: Locust patches time
        data = {
            **scenario.usual_form(),
            **change.answers,
            "csrfmiddlewaretoken": csrf.group(1),
            "form_token": token.group(1),
        }
        with _form_post(self.client, "/check-in/", data, "/check-in/") as sent:
            saved = SAVED.search(sent.headers.get("Location", "") or "")
            if sent.status_code != 302 or not saved:
                problems = FORM_ERROR.findall(sent.text or "")[:3]
                sent.failure(f"check-in not saved: {_status(sent)} {problems}")
                return
        pk = int(saved.group(1))
        submitted.append(
            {
                "id": pk,
                "patient": self.username,
                "kind": change.kind,
                "expected": change.expected,
                "symptom": change.symptom,
                "answers": change.answers,
            }
        )
        with _get(self.client, f"/check-ins/{pk}/", "/check-ins/[id]/") as advice:
            if advice.status_code != 200:
                advice.failure(f"advice page: {_status(advice)}")
            elif f"advice-{change.expected}" not in advice.text:
                shown = re.search(r"advice advice-(\w+)", advice.text)
                advice.failure(
                    f"advice shown {shown.group(1) if shown else None!r}, "
                    f"expected {change.expected!r} for {change.answers}"
                )


class NurseUser(FastHttpUser):
    fixed_count = NURSES
    wait_time = between(*NURSE_WAIT)
    network_timeout = connection_timeout = TIMEOUT

    def on_start(self):
        number = next(_nurse_numbers)
        _spread(self, number)
        self.username = scenario.nurse_username(number)
        self.logged_in = log_in_nurse(self.client, self.username)
        if self.logged_in:
            self.open_queue()

    @task(1)
    def open_queue(self):
        if not self.logged_in:
            self.logged_in = log_in_nurse(self.client, self.username)
            return
        with _get(self.client, "/triage/", "/triage/") as page:
            if page.status_code != 200 or 'id="queue-results"' not in page.text:
                page.failure(f"triage queue: {_status(page)}")

    @task(4)
    def refresh_queue(self):
        if not self.logged_in:
            return
        with _get(self.client, "/triage/?partial=1", "/triage/?partial=1") as part:
            if part.status_code != 200 or part.headers.get("X-Queue-Results") != "1":
                part.failure(f"queue refresh: {_status(part)}")
