from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from testigo.core.backups import crypto, services


def key_from_options(options, *, making: bool) -> crypto.Key:
    """--passphrase-file, or --public-key (making) / --private-key (reading): exactly one."""
    given = [name for name in ("passphrase_file", "public_key", "private_key") if options.get(name)]
    if len(given) != 1:
        wanted = "--passphrase-file F or --public-key K" if making else "--passphrase-file F or --private-key FILE"
        raise CommandError(f"give {wanted}")
    if options.get("passphrase_file"):
        return crypto.Key(passphrase=services.read_passphrase(Path(options["passphrase_file"])))
    if options.get("public_key"):
        if not making:
            raise CommandError("a public key only makes backups; reading one needs --private-key FILE")
        return crypto.Key(public_key=crypto.decode_key(options["public_key"]))
    if making:
        raise CommandError("a backup is made with --public-key K, not the private key")
    return crypto.Key(private_key=crypto.decode_key(Path(options["private_key"]).read_text()))


def archive_argument(given: str):
    """A path, or `storage:NAME` for an archive in the backups storage (kept as text)."""
    return given if given.startswith(services.STORED) else Path(given)


class Command(BaseCommand):
    help = ("Write one encrypted archive of the database, media, tip-line files and settings (--to DIR, or "
            "--to-storage: the backups storage, e.g. the bucket of TESTIGO_STORAGE_URL), check one (--verify FILE, "
            "or storage:NAME), or make a key pair (--keygen FILE).")

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--to", metavar="DIR", help="directory to write the archive into")
        action.add_argument("--to-storage", action="store_true",
                            help="write the archive into the backups storage (TESTIGO_STORAGE_URL's backups/ folder)")
        action.add_argument("--verify", metavar="FILE", help="decrypt an archive and check every file")
        action.add_argument("--keygen", metavar="FILE", help="write a new private key to FILE; print its public key")
        parser.add_argument("--passphrase-file", metavar="F", help="file holding the passphrase (first line)")
        parser.add_argument("--public-key", metavar="K", help="seal the archive to this public key (base64)")
        parser.add_argument("--private-key", metavar="FILE", help="private key file, to --verify a sealed archive")

    def handle(self, *args, **options):
        try:
            if options["keygen"]:
                return self._keygen(Path(options["keygen"]))
            if options["verify"]:
                return self._verify(archive_argument(options["verify"]), key_from_options(options, making=False))
            to_dir = None if options["to_storage"] else Path(options["to"])
            return self._backup(to_dir, key_from_options(options, making=True))
        except crypto.BackupError as exc:
            raise CommandError(str(exc)) from None

    def _keygen(self, path: Path) -> None:
        private, public = crypto.new_keypair()
        try:
            fd = path.open("x")
        except FileExistsError:
            raise CommandError(f"{path} exists: a key file is never overwritten") from None
        path.chmod(0o600)
        with fd:
            fd.write(private + "\n")
        self.stdout.write(f"private key written to {path} (keep it off this server, with a copy in a safe place)")
        self.stdout.write(f"public key (TESTIGO_BACKUP_PUBLIC_KEY, --public-key): {public}")

    def _verify(self, path: Path, key: crypto.Key) -> None:
        manifest = services.verify(path, key)
        total = sum(f["size"] for f in manifest["files"])
        self.stdout.write(f"backup intact: {len(manifest['files'])} files, {total} bytes; made "
                          f"{manifest['created_at']} by Testigo {manifest['testigo_version']} "
                          f"({manifest['database']}), deployment {manifest['deployment']}")

    def _backup(self, to_dir: Path | None, key: crypto.Key) -> None:
        try:
            run = services.create(to_dir=to_dir, key=key)
        except (crypto.BackupError, OSError) as exc:
            services.record_failure(stage="create", error=str(exc))
            raise CommandError(str(exc)) from None
        run = services.check_run(run, key)
        self.stdout.write(f"backup written: {run.path} ({run.size} bytes)")
        if not run.verified:
            raise CommandError(f"the archive did not read back whole: {run.verify_note}")
        self.stdout.write(run.verify_note)
