"""`testigo odk-device add NAME` prints the server URL (with its app token) for ODK Collect;
`testigo odk-device list`, `testigo odk-device revoke ID`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from testigo.core import roles
from testigo.surveys import services
from testigo.surveys.models import Device


class Command(BaseCommand):
    help = "Manage the phones (ODK Collect) that may download forms and send submissions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a device and print its server URL")
        add.add_argument("name")
        add.add_argument("--server", default="", help="public address, e.g. https://testigo.example.org")
        sub.add_parser("list", help="list devices")
        revoke = sub.add_parser("revoke", help="stop a device's token from working")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action: str, **options):
        if action == "list":
            for device in Device.objects.all():
                state = "revoked" if device.revoked_at else "active"
                self.stdout.write(f"{device.pk}\t{state}\t{device.name}")
        elif action == "revoke":
            device = Device.objects.filter(pk=options["id"]).first()
            if device is None:
                raise CommandError(f"no device {options['id']}")
            services.revoke_device(actor=roles.SYSTEM, device=device)
            self.stdout.write(f"revoked {device.pk}\t{device.name}")
        else:
            _device, token = services.add_device(actor=roles.SYSTEM, name=options["name"])
            server = (options["server"] or getattr(settings, "CHANNEL_BASE_URL", "")
                      or "http://127.0.0.1:8000").rstrip("/")
            self.stdout.write(f"{server}/odk/{token}")
