"""`testigo tipline init|status|recover|rotate-key|purge`: set-up and operation of the tip-line vault."""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.tipline import services, vault
from testigo.tipline.models import Source, StaffKeyWrap


def _add_recovery_options(parser) -> None:
    parser.add_argument("--shares", type=int, default=0, metavar="N",
                        help="split the recovery key into N Shamir shares (2-10), one per trustee")
    parser.add_argument("--threshold", type=int, default=0, metavar="K",
                        help="with --shares: how many shares recover it (2-N; default 2)")


class Command(BaseCommand):
    help = ("Tip-line vault: init (create the organisation key), status, recover (recovery key or shares), "
            "rotate-key (replace the organisation key), purge.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="create the organisation key and print the recovery key (or shares) once")
        init.add_argument("--username", required=True)
        init.add_argument("--password", help="omit to be asked (safer: keeps it out of shell history)")
        _add_recovery_options(init)
        sub.add_parser("status", help="is the vault set up, who has access, how many tips")
        recover = sub.add_parser("recover", help="give a staff member access again using the recovery key or shares")
        recover.add_argument("--username", required=True)
        recover.add_argument("--password")
        recover.add_argument("--recovery-key")
        recover.add_argument("--share", action="append", default=[], metavar="WORDS",
                             help="one share (repeat); omit to be asked for as many as needed")
        rotate = sub.add_parser("rotate-key", help="new organisation key: re-seal every tip's key, new recovery key, "
                                                   "old key destroyed; run it again to resume an interrupted rotation")
        rotate.add_argument("--username", required=True, help="an administrator with tip-line access")
        rotate.add_argument("--password")
        rotate.add_argument("--batch-size", type=int, default=200)
        _add_recovery_options(rotate)
        sub.add_parser("purge", help="delete tips past the retention period now")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action.replace('-', '_')}")(**options)
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    @staticmethod
    def _split(shares: int, threshold: int) -> tuple[int, int]:
        if not shares:
            if threshold:
                raise CommandError("--threshold needs --shares.")
            return 0, 0
        return threshold or 2, shares

    def _print_recovery(self, recovery: vault.Recovery) -> None:
        if recovery.shares:
            self.stdout.write(f"RECOVERY SHARES (shown once, never stored): any {recovery.threshold} of these "
                              f"{recovery.count} open the tip line. Give each to a different trustee, on paper:\n")
            for number, share in enumerate(recovery.shares, start=1):
                self.stdout.write(f"\n  Share {number} of {recovery.count}:\n    {share}\n")
            self.stdout.write(f"\nIf every authorised password is lost and fewer than {recovery.threshold} shares "
                              "can be found, every tip is lost for good.\n")
        else:
            self.stdout.write("RECOVERY KEY (shown once, never stored; write it down and keep it offline):\n")
            self.stdout.write(f"\n    {recovery.key}\n\n")
            self.stdout.write("If every authorised password and this key are lost, every tip is lost for good.\n")

    def do_init(self, *, username, password=None, shares=0, threshold=0, **_):
        user = self._user(username)
        threshold, count = self._split(shares, threshold)
        password = password or getpass.getpass(f"Password of {username}: ")
        recovery = vault.setup(user=user, password=password, threshold=threshold, count=count)
        self.stdout.write("The tip line is set up.\n\n")
        self._print_recovery(recovery)

    def do_status(self, **_):
        current = vault.current()
        if current is None:
            self.stdout.write("Tip line: not set up (run `testigo tipline init --username ADMIN`).")
            return
        holders = ", ".join(StaffKeyWrap.objects.values_list("user__username", flat=True).order_by("user__username"))
        recovery = (f"{current.recovery_threshold} of {current.recovery_shares} shares" if current.recovery_threshold
                    else "one key")
        self.stdout.write(f"Tip line: set up {current.created:%Y-%m-%d}. Access: {holders or 'nobody'}. "
                          f"Conversations stored: {Source.objects.count()}. "
                          f"Photo originals kept: {'yes' if current.keep_originals else 'no'}. "
                          f"Key generation: {current.generation}. Recovery: {recovery}.")
        if current.rotating:
            self.stdout.write(f"A key rotation is under way: {vault.rotation_remaining()} tip(s) still to re-seal "
                              "(run `testigo tipline rotate-key --username ADMIN` to continue).")
        if vault.too_few_key_holders():
            self.stdout.write("WARNING: fewer than two active staff can open the tip line. Grant access to a "
                              "second colleague.")

    def do_recover(self, *, username, password=None, recovery_key=None, share=(), **_):
        user = self._user(username)
        current = vault.current()
        shares = list(share)
        if current is not None and current.recovery_threshold and not recovery_key and not shares:
            shares = [getpass.getpass(f"Share {n} of the {current.recovery_threshold} needed: ")
                      for n in range(1, current.recovery_threshold + 1)]
        elif not shares:
            recovery_key = recovery_key or getpass.getpass("Recovery key: ")
        password = password or getpass.getpass(f"Password of {username}: ")
        vault.recover(recovery_key=recovery_key or "", shares=shares or None, user=user, password=password)
        self.stdout.write(f"{username} has tip-line access again.")

    def do_rotate_key(self, *, username, password=None, batch_size=200, shares=0, threshold=0, **_):
        user = self._user(username)
        current = vault.current()
        if current is None:
            raise CommandError("The tip line is not set up.")
        password = password or getpass.getpass(f"Password of {username}: ")
        key = vault._unwrap_for(user, password)
        if key is None:
            raise CommandError("The password is not correct, or this user has no tip-line access.")
        if not current.rotating:
            split = self._split(shares, threshold)
            rotation = vault.start_rotation(actor=user, org_private=key, password=password, threshold=split[0],
                                            count=split[1])
            key = rotation.org_private
            self.stdout.write("New organisation key made; new tips are sealed to it.\n\n")
            self._print_recovery(rotation.recovery)
            if rotation.access_kept:
                self.stdout.write(f"\nReceive the new key at their next unlock: {', '.join(rotation.access_kept)}.")
            if rotation.access_lost:
                self.stdout.write(f"Lost access (grant it again): {', '.join(rotation.access_lost)}.")
        elif shares or threshold:
            raise CommandError("A rotation is under way: run this again without --shares to finish it.")
        total = vault.rotation_remaining()
        done = vault.continue_rotation(actor=user, org_private=key, batch_size=batch_size,
                                       progress=lambda n: self.stdout.write(f"Re-sealed {n} of {total} tip(s)."))
        self.stdout.write(f"Rotation finished: {done} tip(s) re-sealed in this run; the old key is destroyed.")

    def do_purge(self, **_):
        self.stdout.write(f"Purged {services.purge_expired()} conversation(s).")
