from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "testigo.core"
    label = "core"
    verbose_name = "Testigo core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from testigo.core import roles
        from testigo.core.db import tune_postgresql

        connection_created.connect(tune_postgresql, dispatch_uid="testigo.tune_postgresql")

        # After every app: permissions of later apps exist only once their own post_migrate ran.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="testigo.sync_role_groups")
