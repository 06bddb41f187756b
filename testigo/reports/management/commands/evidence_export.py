"""`testigo evidence-export REF [REF...] -o FILE.zip`: an evidence package (reports/evidence.py)
for the operator of the server; `--story ADDRESS` instead of references: every report a story
links (stories/services.evidence_package, through evidence.PACKAGERS). Acts as the system, or as a staff member with --user (their role
and what they may see then decide). The file is written as the package streams, then renamed into
place, so a failure never leaves half a package under the name asked for."""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.core import roles
from testigo.reports import evidence


class Command(BaseCommand):
    help = "Write an evidence package (ZIP) of one or more reports."

    def add_arguments(self, parser):
        parser.add_argument("references", nargs="*", metavar="REF")
        parser.add_argument("--story", metavar="ADDRESS", help="every report linked by this story (its address)")
        parser.add_argument("-o", "--output", required=True, help="the ZIP file to write")
        parser.add_argument("--user", help="act as this staff member (default: the system)")
        parser.add_argument("--with-contact", action="store_true", help="include reporters' names and contacts")

    def handle(self, *args, **options):
        actor = roles.SYSTEM
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user named {options['user']!r}")
        target = Path(options["output"])
        partial = target.with_name(target.name + ".partial")
        try:
            if options["story"]:
                if options["references"]:
                    raise CommandError("give either references or --story, not both")
                packager = evidence.PACKAGERS.get("story")  # filled by the stories app (StoriesConfig.ready)
                found = packager(actor=actor, address=options["story"], with_contact=options["with_contact"]) \
                    if packager is not None else None
                if found is None:
                    raise CommandError(f"no story at the address {options['story']!r}")
                package, reports = found
            else:
                if not options["references"]:
                    raise CommandError("give one or more report references, or --story ADDRESS")
                reports = evidence.chosen_reports(actor=actor, references=options["references"])
                package = evidence.evidence_zip(reports=reports, actor=actor, with_contact=options["with_contact"])
            with open(partial, "wb") as out:
                for chunk in package.stream():
                    out.write(chunk)
        except (ValidationError, PermissionDenied) as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(" ".join(getattr(exc, "messages", None) or [str(exc)])) from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, target)
        self.stdout.write(f"{target}: {len(reports)} report(s), {len(package.sums)} files with their SHA-256")
