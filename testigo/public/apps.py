from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "testigo.public"
    label = "public"
