"""`testigo places assign-areas [--force]`: fill reports' departments and municipalities from
their points (docs/geo.md, "Admin areas"). Run once after upgrading, after the gazetteer's
countries change and after loading boundaries; new and moved reports get theirs when they are saved.

`testigo places load-areas FILE --level admin1|admin2 [--name-field F] [--admin1-field F] [--crs EPSG]`:
store department or municipality polygons (the console's Places page does the same)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from testigo.core import roles
from testigo.geo import admin_polygons, gazetteer_services
from testigo.reports.areas_backfill import assign_areas


class Command(BaseCommand):
    help = ("Gazetteer tools: assign-areas fills every report's department and municipality from its point; "
            "load-areas stores department or municipality polygons from a boundary file.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["assign-areas", "load-areas"])
        parser.add_argument("file", nargs="?", help="load-areas: GeoJSON, KML/KMZ, TopoJSON, zipped Shapefile or GeoPackage")
        parser.add_argument("--force", action="store_true",
                            help="Replace areas people typed with the point's areas too.")
        parser.add_argument("--level", choices=admin_polygons.LEVELS, default="admin1")
        parser.add_argument("--name-field", default="", help="the property holding the names (default: found)")
        parser.add_argument("--admin1-field", default="", help="admin2 files: the property holding the department")
        parser.add_argument("--crs", default=None, help="EPSG code, for a file in metres that names none")

    def handle(self, *args, **options):
        started = time.perf_counter()
        if options["action"] == "load-areas":
            return self.load_areas(options, started)
        done = assign_areas(force=options["force"])
        self.stdout.write(_("%(reports)d reports read: %(areas)d given areas, %(public)d public areas changed "
                            "in %(seconds).1f s") % {"reports": done["reports"], "areas": done["areas"],
                                                     "public": done["public_areas"],
                                                     "seconds": time.perf_counter() - started})

    def load_areas(self, options, started: float) -> None:
        if not options["file"]:
            raise CommandError(_("Name the boundary file to load."))
        path = Path(options["file"])
        try:
            added, updated = gazetteer_services.import_admin_areas(
                actor=roles.SYSTEM, filename=path.name, data=path.read_bytes(), level=options["level"],
                name_field=options["name_field"], admin1_field=options["admin1_field"], crs=options["crs"])
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(_("%(added)d areas added, %(updated)d updated in %(seconds).1f s; run “testigo places "
                            "assign-areas” to place the reports already stored.")
                          % {"added": added, "updated": updated, "seconds": time.perf_counter() - started})
