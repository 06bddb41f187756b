from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from testigo.core import roles


class Command(BaseCommand):
    help = ("Seed the demo deployment (Honduras): reports when there are none, alert zones and a rule, an "
            "SMSSync channel with a simulated conversation, a survey with answers. Each part only once.")

    def add_arguments(self, parser):
        parser.add_argument("--reports", type=int, default=2000)
        parser.add_argument("--force", action="store_true", help="seed reports even if reports exist")

    def handle(self, *args, reports, force, **options):
        from testigo.demo.seed import seed_all
        from testigo.reports.seed import seed_categories

        if not reports:  # `testigo demo --no-seed`: an empty deployment whose form still works
            seed_categories()
            return
        admin = get_user_model().objects.filter(groups__name=roles.ADMIN, is_active=True).order_by("pk").first()
        done = seed_all(reports=reports, force_reports=force, admin=admin)
        self.stdout.write(f"seeded {done.reports} demo reports, {done.zones} zones, {done.sms_messages} SMS, "
                          f"{done.survey_answers} survey answers")
