from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "testigo.reports"
    label = "reports"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from testigo.core.backups.database import register_pg_drop_before_restore
        from testigo.reports import duplicate_checks, public_changes, search
        from testigo.reports.counts import keeping

        public_changes.connect_signals()
        keeping.connect_signals()  # the map's counts (reports/counts/)
        duplicate_checks.connect_signals()  # duplicate candidates for every new report
        post_migrate.connect(search.after_migrate, sender=self, dispatch_uid="testigo.search_triggers")
        register_pg_drop_before_restore(*search.PG_DROP_SQL)  # a restore loads them from the dump
