from django.apps import AppConfig


class FhirConfig(AppConfig):
    verbose_name = "FHIR R4"
    name = "fhir"
    label = "fhir"
