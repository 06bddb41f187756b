from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "testigo.channels"
    label = "channels"
