"""`testigo tipline init|status|recover|purge`: set-up and operation of the tip-line vault."""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.tipline import services, vault
from testigo.tipline.models import Source, StaffKeyWrap


class Command(BaseCommand):
    help = "Tip-line vault: init (create the organisation key), status, recover (recovery key), purge."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="create the organisation key and print the recovery key once")
        init.add_argument("--username", required=True)
        init.add_argument("--password", help="omit to be asked (safer: keeps it out of shell history)")
        sub.add_parser("status", help="is the vault set up, who has access, how many tips")
        recover = sub.add_parser("recover", help="give a staff member access again using the recovery key")
        recover.add_argument("--username", required=True)
        recover.add_argument("--password")
        recover.add_argument("--recovery-key")
        sub.add_parser("purge", help="delete tips past the retention period now")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    def do_init(self, *, username, password=None, **_):
        user = self._user(username)
        password = password or getpass.getpass(f"Password of {username}: ")
        recovery = vault.initialise(user=user, password=password)
        self.stdout.write("The tip line is set up.\n\nRECOVERY KEY (shown once, never stored; write it down and keep it offline):\n")
        self.stdout.write(f"\n    {recovery}\n\n")
        self.stdout.write("If every authorised password and this key are lost, every tip is lost for good.\n")

    def do_status(self, **_):
        current = vault.current()
        if current is None:
            self.stdout.write("Tip line: not set up (run `testigo tipline init --username ADMIN`).")
            return
        holders = ", ".join(StaffKeyWrap.objects.values_list("user__username", flat=True).order_by("user__username"))
        self.stdout.write(f"Tip line: set up {current.created:%Y-%m-%d}. Access: {holders or 'nobody'}. "
                          f"Conversations stored: {Source.objects.count()}. "
                          f"Photo originals kept: {'yes' if current.keep_originals else 'no'}.")

    def do_recover(self, *, username, password=None, recovery_key=None, **_):
        user = self._user(username)
        recovery_key = recovery_key or getpass.getpass("Recovery key: ")
        password = password or getpass.getpass(f"Password of {username}: ")
        vault.recover(recovery_key=recovery_key, user=user, password=password)
        self.stdout.write(f"{username} has tip-line access again.")

    def do_purge(self, **_):
        self.stdout.write(f"Purged {services.purge_expired()} conversation(s).")
