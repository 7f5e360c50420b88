from django.apps import AppConfig


class AlertsConfig(AppConfig):
    verbose_name = "Alerts and care teams"
    name = "alerts"
