import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from testigo.core import audit, roles
from testigo.core.management.commands.serve import run

ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "Migrate, seed demo data on an empty database, create an admin, and serve with a worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-seed", action="store_true")
        parser.add_argument("--dev", action="store_true", help="Django's development server, DEBUG on")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")

    def handle(self, *args, host, port, no_seed, dev, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not dev:
            call_command("collectstatic", interactive=False, verbosity=0)
        if no_seed:
            call_command("seed_demo", reports=0)
        else:
            call_command("seed_demo")
        self._ensure_admin()
        if not no_serve:
            run(host=host, port=port, workers=2, with_worker=True, stdout=self.stdout, dev=dev)

    def _ensure_admin(self) -> None:
        User = get_user_model()
        if User.objects.filter(groups__name=roles.ADMIN).exists() or User.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = User.objects.create_user(username=ADMIN_USERNAME, password=password, is_staff=True)
            roles.set_role(user, roles.ADMIN)
            audit.record(action="user.created", obj=user, data={"username": ADMIN_USERNAME, "role": roles.ADMIN})
        line = "=" * 64
        self.stdout.write(f"{line}\n  Administrator created (shown only once, write it down):\n"
                          f"    username: {ADMIN_USERNAME}\n    password: {password}\n{line}")
