from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "testigo.reports"
    label = "reports"
