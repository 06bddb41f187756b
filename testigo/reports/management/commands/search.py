"""`testigo search rebuild`: refill the text search indexes from the reports (reports/search.py).

Never needed in normal use: on SQLite triggers, on PostgreSQL expression indexes follow every
write, whatever makes it (the application, imports, raw SQL). Run it if the SQLite search tables
were damaged or restored from another copy of the database.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from testigo.reports import search


class Command(BaseCommand):
    help = "Text search tools: rebuild refills the search indexes from the reports."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"])

    def handle(self, *args, **options):
        started = time.perf_counter()
        search.ensure_triggers()
        search.rebuild()
        self.stdout.write(_("Search indexes rebuilt in %(seconds).1f s") % {"seconds": time.perf_counter() - started})
