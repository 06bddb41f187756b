"""`testigo import FILE.csv|xlsx|json --mapping MAPPING.json`: import rows as reports, with a progress
bar on stderr when it is a terminal, then the counts, every rejected row with its reason, and the
summary (kind of file, where each column went, categories created and matched)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.core import roles
from testigo.core import storage as stores
from testigo.surveys import dateorder, importing


class Command(BaseCommand):
    help = "Import a CSV, XLSX or Ushahidi JSON file as reports, following a column mapping (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--mapping", help="mapping JSON; without it the columns are guessed "
                                              "(Ushahidi exports are recognised)")
        parser.add_argument("--date-order", choices=["dmy", "mdy"],
                            help="how dates like 03/04/2010 are written (day/month/year or month/day/year); "
                                 "needed only when the file's own dates cannot tell")

    def handle(self, *args, file: str, mapping: str | None, date_order: str | None = None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            imp = importing.create_import(actor=roles.SYSTEM, name=path.name, data=path.read_bytes())
            chosen = json.loads(Path(mapping).read_text()) if mapping else imp.mapping
            # Day or month first: from the file's dates, else --date-order; never assumed (issue #18).
            settled = dateorder.settle(chosen, stores.local_path(imp.file), chosen=date_order)
            importing.set_mapping(actor=roles.SYSTEM, imp=imp, mapping_json=settled)
        except dateorder.Undecided as exc:
            raise CommandError(self._undecided(exc)) from None
        except dateorder.DateOrderError as exc:
            raise CommandError(str(exc)) from None
        except (ValidationError, json.JSONDecodeError, OSError) as exc:
            raise CommandError(getattr(exc, "messages", [str(exc)])[0]) from None
        imp = importing.run(import_id=imp.pk, progress=self._bar if sys.stderr.isatty() else None)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        for error in imp.errors:
            self.stdout.write(f"row {error['row']}: {error['reason']}")
        self.stdout.write(f"import {imp.pk}: {imp.total_rows} rows, {imp.created_count} created, "
                          f"{imp.duplicate_count} already imported, {imp.rejected_count} rejected, "
                          f"{imp.updated_count} updated")
        self._summary(importing.summary_view(imp))
        if imp.status != imp.Status.DONE:
            raise CommandError("the import failed")

    def _summary(self, summary: dict | None) -> None:
        """What the run decided: the kind of file, where each column went, the categories."""
        if not summary:
            return
        self.stdout.write(f"file: {summary['format_label']}")
        for column, target in summary["columns"]:
            self.stdout.write(f"  {column} -> {target}")
        if summary["matched"] is not None:
            self.stdout.write(f"categories: {len(summary['created'])} created, {summary['matched']} names matched")
        if summary["held_back"]:
            self.stdout.write(f"{summary['held_back']} published in the source, imported as verified")

    @staticmethod
    def _undecided(exc: dateorder.Undecided) -> str:
        lines = [str(exc), "Run again with --date-order dmy (day/month/year) or --date-order mdy "
                           "(month/day/year). Examples from the file:"]
        for example in exc.reading.ambiguous:
            dmy, mdy = example.both_ways()
            lines.append(f"  row {example.row}: {example.value} -> dmy {dmy:%d %B %Y} | mdy {mdy:%B %d %Y}")
        return "\n".join(lines)

    @staticmethod
    def _bar(imp) -> None:
        total = max(imp.total_rows, 1)
        done = min(imp.processed_rows, total)
        filled = int(40 * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (40 - filled)}] {done}/{total} rows")
        sys.stderr.flush()
