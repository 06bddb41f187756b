"""`testigo channel add TYPE --name N [--secret S] [--set key=value ...]` and `testigo channel list`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.channels import channel_settings, selectors, services
from testigo.channels.models import Channel
from testigo.channels.types import all_types
from testigo.channels.types import get as get_type
from testigo.channels.types.base import ChannelType
from testigo.core import roles


class Command(BaseCommand):
    help = "Add or list messaging channels; prints the webhook URL to configure on the gateway."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a channel")
        add.add_argument("type", choices=sorted(all_types()))
        add.add_argument("--name", required=True)
        add.add_argument("--secret", help="the webhook secret (generated when omitted)")
        add.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="a type setting, e.g. --set auth_token=…; repeat as needed")
        add.add_argument("--rate", type=float, default=1.0, help="messages per second (default 1)")
        add.add_argument("--transliterate", action="store_true", help="replace á í ó ú to stay in GSM-7")
        add.add_argument("--base-url", default="", help="public https://host, overrides TESTIGO_CHANNEL_BASE_URL")
        sub.add_parser("list", help="list channels and their webhook URLs")

    def handle(self, *args, **options):
        if options["action"] == "list":
            for channel in Channel.objects.order_by("pk"):
                self.stdout.write(f"{channel.pk}\t{channel.type}\t{channel.name}\t{selectors.webhook_url(channel)}")
            return
        config = {}
        for item in options["set"]:
            key, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--set needs KEY=VALUE, got {item!r}")
            config[key.strip()] = value
        channel_type = get_type(options["type"])
        secret_key = next((f.key for f in channel_type.config_fields
                           if f.key in channel_settings.AUTO_SECRETS), "secret")
        if options["secret"]:
            config[secret_key] = options["secret"]
        try:
            channel = services.add_channel(actor=roles.SYSTEM, type_code=options["type"], name=options["name"], config=config,
                                           rate_per_second=options["rate"], transliterate=options["transliterate"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self._print(channel, channel_type, options["base_url"])

    def _print(self, channel: Channel, channel_type: ChannelType, base_url: str) -> None:
        self.stdout.write(f"Channel {channel.pk} added: {channel.name} ({channel_type.name})")
        self.stdout.write(f"Webhook URL: {selectors.webhook_url(channel, base_url=base_url)}")
        if type(channel_type).parse_status is not ChannelType.parse_status:
            self.stdout.write(f"Delivery reports URL: {selectors.webhook_url(channel, 'status', base_url)}")
        for key in sorted(channel_settings.AUTO_SECRETS & set(channel.config)):
            self.stdout.write(f"{key}: {channel.config[key]}")
