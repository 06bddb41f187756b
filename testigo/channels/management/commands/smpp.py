"""`testigo smpp`: keep one SMPP transceiver bind per active SMPP channel, reconnecting on errors."""

from __future__ import annotations

import logging
import threading
import time

from django.core.management.base import BaseCommand

from testigo.channels.models import Channel
from testigo.core import nodes

log = logging.getLogger(__name__)


def keep_bound(channel_id: int, stop: threading.Event) -> None:
    from testigo.channels.types.smpp import Session

    delay = 1.0
    while not stop.is_set():
        try:
            Session(Channel.objects.get(pk=channel_id)).run(stop)
            delay = 1.0
        except Exception:
            log.exception("SMPP channel %s: session ended with an error; reconnecting in %ss", channel_id, delay)
            stop.wait(delay)
            delay = min(delay * 2, 60)


class Command(BaseCommand):
    help = "Run the SMPP sessions (bind, receive, send, delivery receipts, enquire_link)."

    def add_arguments(self, parser):
        parser.add_argument("--channel", type=int, action="append", help="only this channel id (repeatable)")

    def handle(self, *args, **options):
        nodes.refuse_without_shared_secrets()  # several nodes: shared secrets from the environment
        channels = Channel.objects.filter(type="smpp", is_active=True)
        if options["channel"]:
            channels = channels.filter(pk__in=options["channel"])
        ids = list(channels.values_list("pk", flat=True))
        if not ids:
            self.stderr.write("No active SMPP channel.")
            return
        stop = threading.Event()
        threads = [threading.Thread(target=keep_bound, args=(pk, stop), daemon=True) for pk in ids]
        for thread in threads:
            thread.start()
        self.stdout.write(f"SMPP sessions running for channel(s) {ids}. Ctrl-C to stop.")
        try:
            while any(t.is_alive() for t in threads):
                time.sleep(1)
        except KeyboardInterrupt:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
