from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "testigo.api"
    label = "api"
