from django.apps import AppConfig


class FhirConfig(AppConfig):
    verbose_name = "FHIR R4"
    name = "fhir"
    label = "fhir"

    def ready(self):
        # The tasks that run this app's services (base.tasks.runs), and the "fhir"
        # alert channel in alerts' registry: fhir imports alerts, never the reverse.
        from alerts.channels import CHANNELS

        from . import tasks  # noqa: F401
        from .push import fhir_channel

        CHANNELS["fhir"] = fhir_channel
