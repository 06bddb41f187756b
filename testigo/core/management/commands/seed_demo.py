from django.core.management.base import BaseCommand

from testigo.reports.models import Report
from testigo.reports.seed import seed_categories, seed_reports


class Command(BaseCommand):
    help = "Seed demo categories and reports (Honduras) when the database has no reports."

    def add_arguments(self, parser):
        parser.add_argument("--reports", type=int, default=2000)
        parser.add_argument("--force", action="store_true", help="seed even if reports exist")

    def handle(self, *args, reports, force, **options):
        if Report.objects.exists() and not force:
            self.stdout.write("reports exist: demo data not seeded")
            seed_categories()
            return
        count = seed_reports(reports)
        self.stdout.write(f"seeded {count} demo reports")
