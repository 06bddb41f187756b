"""`testigo export --format csv|geojson [--all]`: stream reports to stdout.

Without --all only the public projection is written (what anyone can download from the site);
--all writes the staff view of every report, contacts included — for the operator of the server.
A progress bar goes to stderr, and only when stderr is a terminal, so pipes stay clean.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from testigo.api import exporters
from testigo.reports import selectors
from testigo.reports.models import Report


class Command(BaseCommand):
    help = "Export reports as CSV or GeoJSON to stdout."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "geojson"], default="csv")
        parser.add_argument("--all", action="store_true", help="every report, staff view with contacts")

    def handle(self, *args, **options):
        if options["all"]:
            qs = Report.objects.order_by("id")
            rows = exporters.staff_rows(qs, with_contact=True)
            columns = exporters.STAFF_COLUMNS + exporters.CONTACT_COLUMNS
        else:
            qs = selectors.public_reports()
            rows = exporters.public_rows(qs)
            columns = exporters.PUBLIC_COLUMNS
        total = qs.count() if sys.stderr.isatty() else 0
        rows = _progress(rows, total) if total else rows
        stream = exporters.csv_stream(rows, columns) if options["format"] == "csv" else exporters.geojson_stream(rows)
        out = self.stdout._out if hasattr(self.stdout, "_out") else sys.stdout
        for chunk in stream:
            out.write(chunk)
        out.flush()


def _progress(rows, total: int):
    width = 30
    for n, row in enumerate(rows, 1):
        if n % 1000 == 0 or n == total:
            done = int(width * n / total)
            sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {n}/{total}")
            sys.stderr.flush()
        yield row
    sys.stderr.write("\n")
