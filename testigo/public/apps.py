from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "testigo.public"
    label = "public"

    def ready(self):
        from testigo.public import embed

        embed.frame_ancestors()  # a TESTIGO_EMBED_ORIGINS that is not a list of origins stops start-up
