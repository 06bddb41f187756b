from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "testigo.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from testigo.alerts import receivers  # noqa: F401 - connects the signal receivers
