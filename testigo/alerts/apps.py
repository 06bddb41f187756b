from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "testigo.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from testigo.alerts import receivers  # noqa: F401 - connects the signal receivers
        from testigo.alerts.subscriptions import on_alert_keyword
        from testigo.alerts.text import ALERT, ALERT_WORDS
        from testigo.channels import keywords

        keywords.register(ALERT, words=ALERT_WORDS, handler=on_alert_keyword)
