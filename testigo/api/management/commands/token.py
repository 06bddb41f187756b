"""`testigo token add --user NAME --scope read|write [--name N]` prints a new API token once;
`testigo token list`; `testigo token revoke ID`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from testigo.api import services
from testigo.api.models import ApiToken
from testigo.core import roles


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add")
        add.add_argument("--user", required=True)
        add.add_argument("--scope", choices=["read", "write"], default="read")
        add.add_argument("--name", default="command line")
        sub.add_parser("list")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        if action == "add":
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
            try:
                _token, raw = services.create_token(user=user, name=options["name"], scope=options["scope"],
                                                    actor=roles.SYSTEM)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stderr.write("Copy this token now; it is not stored and cannot be shown again:")
            self.stdout.write(raw)
        elif action == "list":
            for t in ApiToken.objects.select_related("user"):
                state = "revoked" if t.revoked else "active"
                self.stdout.write(f"{t.id}\t{t.user.username}\t{t.scope}\t{t.prefix}…\t{t.name}\t{state}")
        else:
            token = ApiToken.objects.filter(pk=options["id"]).first()
            if token is None:
                raise CommandError("No such token.")
            services.revoke_token(token=token, actor=roles.SYSTEM)
            self.stdout.write(f"Revoked token {token.id}.")
