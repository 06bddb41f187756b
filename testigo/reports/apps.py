from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "testigo.reports"
    label = "reports"

    def ready(self) -> None:
        from testigo.reports import public_changes

        public_changes.connect_signals()
