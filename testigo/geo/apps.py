from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "testigo.geo"
    label = "geo"

    def ready(self) -> None:
        from testigo.geo import aggregates

        aggregates.connect_signals()
