"""`make run` as a developer starts and stops it: the product's own pages, static
files served, links on the port it serves, and a quiet stop on Ctrl-C.

It starts the whole stack (migrate, the demo data, web, workers and beat) on a free
port with its own var/ folder, so it takes about half a minute.
"""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-pass-2026"

pytestmark = pytest.mark.skipif(not shutil.which("make"), reason="needs make")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_sigint():
    # As a terminal's foreground job: Ctrl-C's SIGINT is not ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Browser:
    """Just enough of a browser: cookies, the CSRF token, no redirects followed."""

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path):
        try:
            with self.opener.open(self.base + path, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log_in(self, username):
        status, page = self.get("/login/")
        assert status == 200, page[:2000]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base + "/login/", data=data, headers={"Referer": self.base + "/"}
        )
        with self.opener.open(request, timeout=20) as response:
            assert "/login/" not in response.url, "the demo login failed"


@pytest.fixture
def make_run(tmp_path):
    port = free_port()
    drop = ("DEBUG", "SITE_URL", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "MAKEFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(WEB_PORT=str(port), VAR_DIR=str(tmp_path / "var"), SMS_FILE=str(tmp_path / "sms"))
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=default_sigint,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(base + "/health/", timeout=5)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
        yield process, base, log, tmp_path / "var" / "db.sqlite3"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def stop_with_ctrl_c(process) -> None:
    """What a terminal does on Ctrl-C: SIGINT to the whole foreground job."""
    time.sleep(3)  # the workers and beat have started
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)


def test_make_run_serves_the_products_pages_and_stops_quietly(make_run):
    process, base, log, database = make_run
    with sqlite3.connect(database) as db:
        (bob,) = db.execute(
            "SELECT p.id FROM patients_patient p JOIN auth_user u ON u.id = p.user_id"
            " WHERE u.username = 'bob'"
        ).fetchone()

    alice = Browser(base)
    alice.log_in("alice")
    status, page = alice.get(f"/triage/patients/{bob}/")

    assert status == 404
    assert "We cannot show you this page" in page, page[:3000]  # templates/404.html
    assert "URLconf" not in page and "technical_404" not in page  # not Django's debug page
    stylesheet = re.search(r'<link[^>]+href="(/static/[^"]+\.css)"', page).group(1)
    assert alice.get(stylesheet)[0] == 200  # static files are served without DEBUG

    output = log.read_text()
    assert f"Open http://127.0.0.1:{base.rsplit(':', 1)[1]}/" in output  # the links' port
    assert "nina" in output  # the second team's nurse

    stop_with_ctrl_c(process)
    output = log.read_text()
    assert "make run: stopped." in output
    for noise in ("ERROR", "SIGKILL", "Traceback", "make: ***", "Error 130"):
        assert noise not in output, output[-3000:]
