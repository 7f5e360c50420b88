"""The FHIR API (README "API (FHIR R4)"): the token endpoint, and the R4 read API."""

from django.urls import path

from . import views

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
    path("r4/<str:kind>/<str:pk>", views.read, name="read"),
    path("r4/<str:kind>", views.search, name="search"),
]
