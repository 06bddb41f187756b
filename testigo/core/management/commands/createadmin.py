import getpass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from testigo.core import audit, roles


class Command(BaseCommand):
    help = "Create an administrator. Prompts for the password when --password is not given."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--password")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, password, email, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} already exists")
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords do not match")
        try:
            password_validation.validate_password(password, User(username=username))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password, is_staff=True)
            roles.set_role(user, roles.ADMIN)
            audit.record(action="user.created", actor=roles.SYSTEM, obj=user, data={"username": username, "role": roles.ADMIN})
        self.stdout.write(f"administrator {username!r} created")
