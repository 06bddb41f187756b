import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.core.management.commands.serve import run

ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "Migrate, create an admin, seed the demo deployment on first run, and serve with a worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-seed", action="store_true")
        parser.add_argument("--reports", type=int, default=2000, help="how many demo reports to seed")
        parser.add_argument("--dev", action="store_true", help="Django's development server, DEBUG on")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")

    def handle(self, *args, host, port, no_seed, reports, dev, no_serve, **options):
        from testigo.demo.seed import seed_all, twofactor_optional, where_to_look

        call_command("migrate", interactive=False, verbosity=0)
        if not dev:
            call_command("collectstatic", interactive=False, verbosity=0)
        admin, password = self._ensure_admin()
        optional = bool(password) and twofactor_optional()  # first run only: an admin says otherwise later
        done = None
        try:
            if no_seed:
                call_command("seed_demo", reports=0, stdout=self.stdout)
            else:
                # The password is known only now: the tip line is set up for it (first run only).
                done = seed_all(reports=reports, admin=admin, password=password)
        finally:  # even if seeding failed, the only copy of the password must be shown
            if password:
                self._print_credentials(password, done.tipline.recovery_key if done and done.tipline else "",
                                        twofactor_optional=optional)
        if done is not None:
            shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
            base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
            rows = where_to_look(base, channel=done.channel, codename=done.tipline.codename if done.tipline else "")
            width = max(len(what) for what, _url in rows)
            self.stdout.write(_("Where to look first:") + "\n" + "\n".join(
                f"  {what.ljust(width)}  {url}" for what, url in rows))
        if not no_serve:
            run(host=host, port=port, workers=2, with_worker=True, stdout=self.stdout, dev=dev)

    def _ensure_admin(self):
        """(the administrator, their new password) on the first run; (an existing admin, None) after."""
        User = get_user_model()
        existing = (User.objects.filter(groups__name=roles.ADMIN, is_active=True).order_by("pk").first()
                    or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first())
        if existing is not None:
            return existing, None
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = User.objects.create_user(username=ADMIN_USERNAME, password=password, is_staff=True)
            roles.set_role(user, roles.ADMIN)
            audit.record(action="user.created", obj=user, data={"username": ADMIN_USERNAME, "role": roles.ADMIN})
        return user, password

    def _print_credentials(self, password: str, recovery_key: str, *, twofactor_optional: bool = False) -> None:
        line = "=" * 72
        lines = [line, "  " + _("Administrator created (shown only once, write it down):"),
                 "    " + _("username: %(username)s") % {"username": ADMIN_USERNAME},
                 "    " + _("password: %(password)s") % {"password": password}]
        if recovery_key:
            lines += ["    " + _("tip line recovery key: %(key)s") % {"key": recovery_key},
                      "    " + _("(it opens every tip if all passwords are lost: keep it offline, away from this server)")]
        if twofactor_optional:
            lines += ["    " + _("two-factor login: optional in this demo (a real deployment requires it for "
                                  "administrators; Console → Two-factor login → Settings)")]
        self.stdout.write("\n".join([*lines, line]))
