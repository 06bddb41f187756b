from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "testigo.console"
    label = "console"
