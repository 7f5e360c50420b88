"""The FHIR API (README "API (FHIR R4)"): the token endpoint, and the R4 read API."""

from django.urls import path, re_path

from . import export_views, views

app_name = "fhir"

urlpatterns = [
    path("auth/token", views.token, name="token"),
    path("r4/metadata", views.metadata, name="metadata"),
    path(
        "r4/.well-known/smart-configuration",
        views.smart_configuration,
        name="smart_configuration",
    ),
    path("r4/Patient/<str:pk>/$everything", views.everything, name="everything"),
    # Bulk export (fhir/export_views.py): before the read and search patterns, which
    # would take "$export" for a resource type.
    path("r4/$export", export_views.system_export, name="export"),
    path("r4/Group/<str:pk>/$export", export_views.group_export, name="group_export"),
    path("r4/$export-status/<uuid:job_id>", export_views.export_status, name="export_status"),
    path("r4/$export-file/<uuid:job_id>/<str:name>", export_views.export_file, name="export_file"),
    path("r4/<str:kind>/<str:pk>", views.read, name="read"),
    path("r4/<str:kind>", views.search, name="search"),
    # Anything else under /fhir/: an OperationOutcome, not the site's HTML 404.
    re_path(r"^.+$", views.unknown, name="unknown"),
]
