"""`testigo zone import FILE [--name-field NAME] [--crs EPSG]`: create alert zones from a boundary
file (GeoJSON, KML/KMZ, TopoJSON or a zipped Shapefile)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.alerts import zones
from testigo.core import roles
from testigo.geo.files import clean_crs


class Command(BaseCommand):
    help = "Manage alert zones."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="create zones from a GeoJSON, KML/KMZ, TopoJSON or zipped Shapefile")
        imp.add_argument("file")
        imp.add_argument("--name-field", default="name", help="property holding the zone name (default: name)")
        imp.add_argument("--crs", default="", help="EPSG code of the file's coordinates when the file does not say "
                                                   "(e.g. 32616 for UTM 16N); default WGS84 longitude/latitude")
        sub.add_parser("list", help="list the zones")

    def handle(self, *args, **options):
        if options["action"] == "list":
            for zone in zones.Zone.objects.all():
                self.stdout.write(f"{zone.pk}\t{zone.name_es}\t{zone.name_en}")
            return
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            created, warnings = zones.import_zones(actor=roles.SYSTEM, filename=path.name, data=path.read_bytes(),
                                                   name_field=options["name_field"], crs=clean_crs(options["crs"]))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        for zone in created:
            self.stdout.write(f"created zone {zone.pk}: {zone.name_es}")
        self.stdout.write(f"{len(created)} zones created")
