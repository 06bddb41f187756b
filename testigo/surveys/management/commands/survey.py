"""`testigo survey import FILE.xlsx` (prints the new survey's id and name), `testigo survey list`,
and `testigo survey export FORM_ID --format csv|xlsx [--output PATH]` (its submissions as ODK
Central's CSV zip, or the same tables as an XLSX; see surveys/exports.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.core import roles
from testigo.surveys import exports, services, xlsform
from testigo.surveys.models import Submission, Survey


class Command(BaseCommand):
    help = "Manage surveys: import an XLSForm, list surveys, export a survey's submissions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="create a survey from an XLSForm (.xlsx)")
        importing.add_argument("file")
        sub.add_parser("list", help="list surveys")
        exporting = sub.add_parser("export", help="write a survey's submissions, repeats included")
        exporting.add_argument("form_id")
        exporting.add_argument("--format", dest="fmt", choices=exports.FORMATS, default="csv",
                               help="csv: a zip of CSV files as ODK Central's; xlsx: one sheet per file")
        exporting.add_argument("--output", default="", help="file to write (default: <form_id>.csv.zip or .xlsx)")

    def handle(self, *args, action: str, **options):
        if action == "list":
            for survey in Survey.objects.all():
                self.stdout.write(f"{survey.pk}\t{survey.form_id}\tv{survey.version}\t{survey.name_es}")
            return
        if action == "export":
            self._export(options["form_id"], options["fmt"], options["output"])
            return
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            survey = services.import_xlsform(actor=roles.SYSTEM, data=path.read_bytes(), filename=path.name)
        except xlsform.XLSFormError as exc:
            raise CommandError("\n".join(exc.errors)) from None
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        self.stdout.write(f"{survey.pk}\t{survey.name_es}")

    def _export(self, form_id: str, fmt: str, output: str) -> None:
        survey = Survey.objects.filter(form_id=form_id).first()
        if survey is None:
            raise CommandError(f"no survey with the form id {form_id!r} (see `testigo survey list`)")
        path = Path(output or exports.filename(survey, fmt))
        write = exports.write_csv_zip if fmt == "csv" else exports.write_xlsx
        try:
            with path.open("wb") as out:
                write(survey, Submission.objects.all(), out)
        except BaseException:
            path.unlink(missing_ok=True)  # no half-written export left behind
            raise
        self.stdout.write(str(path))
