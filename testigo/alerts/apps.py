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

        from testigo.alerts.models import Subscription
        from testigo.channels import retention

        # A person who subscribed to alerts asked for them: report retention never removes them.
        retention.register_keeper("alerts", lambda ids: set(
            Subscription.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True)))
