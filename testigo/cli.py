"""The `testigo` command: demo, serve, worker, migrate, createadmin, audit-verify, and any
Django management command. Options that choose the data directory are applied before Django
reads its settings, so every command honours TESTIGO_DATA_DIR and --data-dir alike."""

from __future__ import annotations

import os
import sys

ALIASES = {"audit-verify": "audit_verify", "seed-demo": "seed_demo", "odk-device": "odk_device",
           "evidence-export": "evidence_export"}
SERVING = {"demo", "serve"}
# With several nodes (docs/scale-out.md) every command needs the shared secrets from the environment:
# migrations and imports compute fuzzed locations with the secret key, the tip line hashes with the
# pepper, and a command run without them would write data no other node agrees with. Only these,
# which write nothing and depend on no secret, run without them.
WITHOUT_SHARED_SECRETS = {"help", "version", "check", "showmigrations", "sqlmigrate", "diffsettings"}

USAGE = """usage: testigo COMMAND [options]      (every command reads TESTIGO_DATA_DIR or --data-dir DIR)

  demo [--port N] [--no-seed] [--dev]            migrate, seed, create an admin, serve with a worker
  serve [--port N] [--host H] [--workers N]      production server (gunicorn)
  worker [--no-periodic]                         background jobs (Huey); periodic jobs fire once across machines
  migrate                                        create or update the database
  createadmin --username NAME [--password P]     create an administrator
  audit-verify                                   check the audit trail's hash chain
  backup --to DIR --public-key K|--passphrase-file F   one encrypted archive of everything
  backup --verify FILE / --keygen FILE           check an archive / make a key pair
  restore FILE [--private-key F|--passphrase-file F] [--force]   into an empty deployment
  export --format csv|geojson|xlsx|kml|hxl [--all]  stream reports to stdout
  evidence-export REF [REF...] -o FILE.zip       evidence package: reports, files, hashes, audit
  evidence-export --story ADDRESS -o FILE.zip    the same for every report a story links
  map rebuild-counts                             recompute the map's cluster counts
  places assign-areas [--force]                  fill reports' departments and municipalities from their points
  places load-areas FILE --level admin1|admin2     store department or municipality polygons (--name-field F)
  search rebuild                                 refill the report text search indexes
  retention list|apply [--policy ID]             what retention policies touch now / apply them
  token add --user NAME --scope read|write       create an API token
  channel add|list ...                           messaging channels (prints the webhook URL)
  smpp                                           keep SMPP channels bound (run beside the worker)
  tipline init|status|recover|purge              the anonymous tip line's vault
  survey import FILE.xlsx                        create a survey from an XLSForm
  odk-device add|list|revoke ...                 ODK Collect devices and their server URLs
  import FILE.csv|xlsx --mapping MAPPING.json    import reports from a spreadsheet
  zone import FILE / broadcast ...               early-warning zones and broadcasts
  (any Django management command)
"""


def _pop_data_dir(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--data-dir" and i + 1 < len(argv):
            os.environ["TESTIGO_DATA_DIR"] = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--data-dir="):
            os.environ["TESTIGO_DATA_DIR"] = arg.split("=", 1)[1]
            i += 1
            continue
        out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    argv = _pop_data_dir(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.settings")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return
    command = ALIASES.get(argv[0], argv[0])
    if command in SERVING and "--dev" in argv:
        os.environ.setdefault("TESTIGO_DEBUG", "1")
    if command in SERVING and "--dev" not in argv:
        # Serving uses collected, pre-compressed static files (whitenoise).
        os.environ.setdefault("TESTIGO_COLLECTED_STATIC", "1")
    if command not in WITHOUT_SHARED_SECRETS and not {"-h", "--help", "--version"} & set(argv[1:]):
        _refuse_without_shared_secrets()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["testigo", command, *argv[1:]])


def _refuse_without_shared_secrets() -> None:
    """Stop here, as Django prints a CommandError, in a multi-node configuration without them."""
    import django
    from django.core.management.base import CommandError

    django.setup()
    from testigo.core import nodes

    try:
        nodes.refuse_without_shared_secrets()
    except CommandError as exc:
        sys.stderr.write(f"CommandError: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
