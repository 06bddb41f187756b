"""`testigo broadcast --zone NAME --message TEXT [--yes]`: preview a broadcast, then send it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from testigo.alerts import selectors, services
from testigo.alerts.models import Zone
from testigo.alerts.text import closest, fold
from testigo.core import roles


class Command(BaseCommand):
    help = "Send a message to the subscribers of one or more zones (preview first)."

    def add_arguments(self, parser):
        parser.add_argument("--zone", action="append", default=[], help="zone name (repeatable)")
        parser.add_argument("--all", action="store_true", help="every subscriber, in every zone")
        parser.add_argument("--message", required=True, help="the message (Spanish, or the only language)")
        parser.add_argument("--message-en", default="", help="the English message, if different")
        parser.add_argument("--yes", action="store_true", help="send without asking")

    def handle(self, *args, **options):
        zone_ids = [self._zone(name).pk for name in options["zone"]]
        if not zone_ids and not options["all"]:
            raise CommandError("give --zone NAME (repeatable) or --all")
        try:
            with transaction.atomic():
                alert = services.create_broadcast(actor=roles.SYSTEM, message_es=options["message"],
                                                  message_en=options["message_en"], zone_ids=zone_ids,
                                                  everyone=options["all"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self._print_preview(services.preview(alert=alert))
        if not options["yes"]:
            answer = input("Send now? [y/N] ").strip().lower()
            if answer not in {"y", "yes", "s", "si", "sí"}:
                services.discard_alert(actor=roles.SYSTEM, alert=alert)
                self.stdout.write("Not sent (draft discarded).")
                return
        queued = services.send_alert(actor=roles.SYSTEM, alert=alert)
        self.stdout.write(f"Alert {alert.pk}: {queued} messages queued.")

    def _zone(self, name: str) -> Zone:
        zone = Zone.objects.filter(key=fold(name)).first()
        if zone is None:
            hints = closest(name, selectors.zone_names())
            raise CommandError(f"no zone named {name!r}" + (f"; did you mean: {', '.join(hints)}?" if hints else ""))
        return zone

    def _print_preview(self, preview: dict) -> None:
        self.stdout.write(f"Recipients: {preview['recipients']}")
        for lang, info in preview["texts"].items():
            self.stdout.write(f"  {lang}: {info.segments} SMS segment(s), {info.encoding}")
        for row in preview["channels"]:
            self.stdout.write(f"  {row['channel'].name}: {row['recipients']} recipients, {row['segments']} segments "
                              f"({row['encodings']}), cost {row['cost']} {settings.ALERT_CURRENCY}, "
                              f"about {row['eta_seconds']} s at {row['channel'].rate_per_second}/s")
        if preview["unreachable"]:
            self.stdout.write(f"  {preview['unreachable']} without an active channel for their address")
        self.stdout.write(f"Total cost: {preview['cost']} {settings.ALERT_CURRENCY}")
