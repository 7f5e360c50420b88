from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"

    def ready(self):
        # The tasks that run this app's services (base.tasks.runs).
        from . import tasks  # noqa: F401
