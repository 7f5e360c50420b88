"""Settings of the HTTP bench's gunicorn (bench/http_bench.py): the project's own,
with the bench's URLs (bench/http_urls.py), which add the one-row-insert view the
check-in is compared with. Nothing else differs, so both views pass the same
middleware under the same production settings."""

from symptom_tracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
