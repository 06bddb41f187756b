from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "testigo.reports"
    label = "reports"

    def ready(self) -> None:
        from testigo.reports import public_changes
        from testigo.reports.counts import keeping

        public_changes.connect_signals()
        keeping.connect_signals()  # the map's counts (reports/counts/)
