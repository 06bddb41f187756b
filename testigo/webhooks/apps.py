from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "testigo.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from testigo.webhooks import events, receivers  # noqa: F401 - connects the signal receivers

        events.register_builtin()
