"""`testigo export --format csv|geojson|xlsx|kml|hxl [--all]`: stream reports to stdout.

Without --all only the public projection is written (what anyone can download from the site);
--all writes the staff view of every report, contacts included — for the operator of the server.
A progress bar goes to stderr, and only when stderr is a terminal, so pipes stay clean.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from testigo.reports import exporters, selectors
from testigo.reports.models import Report


class Command(BaseCommand):
    help = "Export reports as CSV, GeoJSON, XLSX, KML or HXL-tagged CSV to stdout."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=list(exporters.FORMATS), default="csv")
        parser.add_argument("--all", action="store_true", help="every report, staff view with contacts")

    def handle(self, *args, **options):
        if options["all"]:
            export = exporters.Export(Report.objects.order_by("id"), public=False, with_contact=True)
        else:
            export = exporters.Export(selectors.public_reports(), public=True)
        total = export.qs.count() if sys.stderr.isatty() else 0
        progress = _Progress(total) if total else None
        stream = export.stream(options["format"], progress)
        out = self.stdout._out if hasattr(self.stdout, "_out") else sys.stdout
        binary = getattr(out, "buffer", None)
        if binary is not None:
            out.flush()
        for chunk in stream:
            if isinstance(chunk, bytes):  # XLSX
                (binary or out).write(chunk)
            else:
                out.write(chunk)
        out.flush()
        if binary is not None:
            binary.flush()
        if progress:
            sys.stderr.write("\n")


class _Progress:
    """A progress bar on stderr, advanced by each chunk of rows written."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0

    def __call__(self, rows: int) -> None:
        self.done += rows
        width = 30
        filled = int(width * min(self.done, self.total) / self.total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
        sys.stderr.flush()
