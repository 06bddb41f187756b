from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ChannelsConfig(AppConfig):
    name = "testigo.channels"
    label = "channels"

    def ready(self) -> None:
        from testigo.channels.models import Channel
        from testigo.channels.processing import register_keywords
        from testigo.channels.views import forget_channels

        register_keywords()  # REPORT, STOP, HELP; apps above channels add theirs in their ready()
        from testigo.channels import retention

        retention.register()  # report retention forgets senders' messages and contacts

        # The webhook caches channel rows for a second; a change made here is seen at once.
        post_save.connect(forget_channels, sender=Channel, dispatch_uid="channels.forget_on_save")
        post_delete.connect(forget_channels, sender=Channel, dispatch_uid="channels.forget_on_delete")
