"""`testigo survey import FILE [--attach FILE ...]` (an XLSForm, .xlsx or .xls, with its form
attachments), `testigo survey list`, and `testigo survey export FORM_ID --format csv|xlsx
[--output PATH]` (its submissions as ODK Central's CSV zip, or the same tables as an XLSX; see
surveys/exports.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.core import roles
from testigo.surveys import exports, services, webfit, xlsform
from testigo.surveys.models import Submission, Survey


class Command(BaseCommand):
    help = "Manage surveys: import an XLSForm (or a new version of one), list surveys, export submissions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="publish an XLSForm (.xlsx or .xls), or a new version of one")
        importing.add_argument("file")
        importing.add_argument("--attach", action="append", default=[], metavar="FILE",
                               help="a file the form reads (image, audio, CSV or GeoJSON choice list); repeatable")
        sub.add_parser("list", help="list surveys")
        exporting = sub.add_parser("export", help="write a survey's submissions, repeats included")
        exporting.add_argument("form_id")
        exporting.add_argument("--format", dest="fmt", choices=exports.FORMATS, default="csv",
                               help="csv: a zip of CSV files as ODK Central's; xlsx: one sheet per file")
        exporting.add_argument("--output", default="", help="file to write (default: <form_id>.csv.zip or .xlsx)")

    def handle(self, *args, action: str, **options):
        if action == "list":
            for survey in Survey.objects.all():
                missing = survey.missing_files()
                self.stdout.write("\t".join([str(survey.pk), survey.form_id, f"v{survey.served_version}",
                                             "web" if survey.web_form else "odk-only",
                                             f"missing: {' '.join(missing)}" if missing else "", survey.name_es]))
            return
        if action == "export":
            self._export(options["form_id"], options["fmt"], options["output"])
            return
        path = Path(options["file"])
        attachments = {}
        for name in [path, *map(Path, options["attach"])]:
            if not name.is_file():
                raise CommandError(f"no such file: {name}")
        for name in map(Path, options["attach"]):
            attachments[name.name] = name.read_bytes()
        before = set(Survey.objects.filter(origin=Survey.Origin.XLSFORM).values_list("form_id", "version"))
        try:
            survey = services.import_xlsform(actor=roles.SYSTEM, data=path.read_bytes(), filename=path.name,
                                             files=attachments)
        except xlsform.XLSFormError as exc:
            raise CommandError("\n".join(exc.errors)) from None
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        self._report(survey, before)

    def _report(self, survey: Survey, before: set) -> None:
        known = {form_id for form_id, _version in before}
        what = "unchanged" if (survey.form_id, survey.version) in before else (
            "new version" if survey.form_id in known else "created")
        self.stdout.write(f"{survey.pk}\t{survey.form_id}\tversion {survey.served_version or '-'}\t{what}\t"
                          f"{survey.name_es}")
        if survey.web_form:
            self.stdout.write("web form: available")
        else:
            self.stdout.write("web form: not available (ODK Collect / Enketo only):")
            for code, question, detail in survey.web_blockers[:10]:
                self.stdout.write(f"  - {webfit.describe_blocker(code, question, detail)}")
            if len(survey.web_blockers) > 10:
                self.stdout.write(f"  … {len(survey.web_blockers) - 10} more")
        missing = survey.missing_files()
        if missing:
            self.stderr.write(f"missing attachments (attach them with --attach or in the console): {' '.join(missing)}")

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
