"""`testigo places assign-areas [--force]`: fill reports' departments and municipalities from
their points (docs/geo.md, "Admin areas"). Run once after upgrading, and after the gazetteer's
countries change; new and moved reports get theirs when they are saved."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from testigo.reports.areas_backfill import assign_areas


class Command(BaseCommand):
    help = "Gazetteer tools: assign-areas fills every report's department and municipality from its point."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["assign-areas"])
        parser.add_argument("--force", action="store_true",
                            help="Replace areas people typed with the point's areas too.")

    def handle(self, *args, **options):
        started = time.perf_counter()
        done = assign_areas(force=options["force"])
        self.stdout.write(_("%(reports)d reports read: %(areas)d given areas, %(public)d public areas changed "
                            "in %(seconds).1f s") % {"reports": done["reports"], "areas": done["areas"],
                                                     "public": done["public_areas"],
                                                     "seconds": time.perf_counter() - started})
