from django.core.management.base import BaseCommand, CommandError

from testigo.core import audit


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exits non-zero when an event was changed or removed."

    def handle(self, *args, **options):
        result = audit.verify()
        for problem in result.problems:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(f"audit trail damaged: {len(result.problems)} problem(s) in {result.checked} events")
        self.stdout.write(f"audit trail intact: {result.checked} events; head {result.head_hash}")
