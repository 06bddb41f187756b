from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "testigo.stories"
    label = "stories"
    verbose_name = "Stories"
