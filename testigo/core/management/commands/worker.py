from django.core.management import call_command
from django.core.management.base import BaseCommand

from testigo.core import nodes


class Command(BaseCommand):
    help = "Run the background job worker (Huey consumer)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-periodic", action="store_true",
            help="do not schedule the periodic jobs (daily backup, retention, alert rules). Not needed with a "
                 "Redis queue: each minute's periodic jobs are claimed once across workers (docs/scale-out.md)")

    def handle(self, *args, no_periodic=False, **options):
        nodes.refuse_without_shared_secrets()  # several nodes: shared secrets from the environment
        if no_periodic:
            call_command("run_huey", periodic=False)
        else:
            call_command("run_huey")
