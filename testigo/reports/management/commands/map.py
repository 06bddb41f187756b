"""`testigo map rebuild-counts`: recompute the map's count pyramid, and the inbox's stored status
counts (reports.StatusCount, kept by the same code), from the reports table.

The counts are kept up to date by the application on every write; run this after changing
reports with raw SQL, or if a crash between a write and its count update is suspected.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from testigo.reports import counts


class Command(BaseCommand):
    help = "Map tools: rebuild-counts recomputes the map's cluster counts (and the inbox's status counts)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild-counts"])

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = counts.rebuild()
        self.stdout.write(_("%(rows)d cluster count rows rebuilt in %(seconds).1f s")
                          % {"rows": rows, "seconds": time.perf_counter() - started})
