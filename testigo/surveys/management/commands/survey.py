"""`testigo survey import FILE.xlsx` (prints the new survey's id and name) and `testigo survey list`."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.core import roles
from testigo.surveys import services, xlsform
from testigo.surveys.models import Survey


class Command(BaseCommand):
    help = "Manage surveys: import an XLSForm, list surveys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="create a survey from an XLSForm (.xlsx)")
        importing.add_argument("file")
        sub.add_parser("list", help="list surveys")

    def handle(self, *args, action: str, **options):
        if action == "list":
            for survey in Survey.objects.all():
                self.stdout.write(f"{survey.pk}\t{survey.form_id}\tv{survey.version}\t{survey.name_es}")
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
