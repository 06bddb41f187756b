from django.core.management.base import BaseCommand, CommandError

from testigo.core.backups import crypto, services
from testigo.core.management.commands.backup import archive_argument, key_from_options


class Command(BaseCommand):
    help = ("Restore an archive made by `testigo backup` into an empty data directory and database "
            "(stop the web server and the worker first).")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="the archive, or storage:NAME for one in the backups storage")
        parser.add_argument("--passphrase-file", metavar="F", help="file holding the passphrase (first line)")
        parser.add_argument("--private-key", metavar="FILE", help="private key file, for a sealed archive")
        parser.add_argument("--force", action="store_true",
                            help="replace this deployment's data with a backup of the same deployment")

    def handle(self, *args, **options):
        try:
            key = key_from_options(options, making=False)
            result = services.restore(archive_argument(options["file"]), key, force=options["force"])
        except crypto.BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        self.stdout.write(f"restored {result.files} files from a backup made {manifest['created_at']} by Testigo "
                          f"{manifest['testigo_version']}, deployment {manifest['deployment']}")
        for note in result.notes:
            self.stdout.write(note)
