from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "testigo.geo"
    label = "geo"
