from django.apps import AppConfig


class AlertsConfig(AppConfig):
    verbose_name = "Alerts"
    name = "alerts"

    def ready(self):
        # The tasks that run this app's services (base.tasks.runs), what it does when
        # patients announces a recorded check-in, and its part of a patient's data.
        from patients import privacy

        from . import privacy as alerts_privacy
        from . import receivers, tasks  # noqa: F401

        # What this app holds about a patient, for their export and erasure.
        privacy.register(alerts_privacy.PERSONAL_DATA)
