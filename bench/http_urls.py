"""The project's URLs plus /bench/insert/, the yardstick of the HTTP bench
(bench/http_bench.py): a view that writes one row and redirects, as the check-in
does, behind the same middleware (session, CSRF, authentication, the second
factor's check, the viewer's time zone...). Served only by the bench's gunicorn
(bench/http_settings.py); the project never routes to it."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from symptom_tracker.urls import urlpatterns as project_urlpatterns

# A table of the bench's own, made with raw SQL by the bench's seeding: no model, no
# migration, so that nothing of it reaches the project.
TABLE = "bench_http_insert"
CREATE_TABLE = (
    f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, user_id bigint NOT NULL, "
    "created_at timestamptz NOT NULL DEFAULT now())"
)


@require_POST
@login_required
def insert_one(request):
    """One row for the logged-in user, then a redirect that names it (the client
    checks it, so that a redirect to the login page is not counted as a write)."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (user_id) VALUES (%s) RETURNING id", [request.user.pk])
        (row_id,) = cursor.fetchone()
    return redirect(f"/?inserted={row_id}")


urlpatterns = [path("bench/insert/", insert_one, name="bench_insert"), *project_urlpatterns]
