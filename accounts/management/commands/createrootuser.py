"""python manage.py createrootuser --email E [--account-name N] [--password-stdin]"""

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.models import normalize_email


class Command(BaseCommand):
    help = "Create a root user (an account) that signs in with an email address and a password."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--email", required=True)
        parser.add_argument("--account-name", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of prompting for it.",
        )

    def handle(
        self, *args: object, email: str, account_name: str, password_stdin: bool, **options: object
    ) -> None:
        User = get_user_model()
        email = normalize_email(email)  # one account whatever the spelling, as at sign-in
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"{email!r} is not a valid email address.") from error
        if User.objects.with_email(email).exists():
            raise CommandError(f"A root user with the email {email} already exists.")
        if len(account_name) > 50:
            raise CommandError("The account name can have at most 50 characters.")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            try:
                password = getpass.getpass("Password: ")
                again = getpass.getpass("Password (again): ")
            except EOFError:
                raise CommandError(
                    "No password was typed: without a terminal, give it with --password-stdin."
                ) from None
            if password != again:
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password, user=User(email=email))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user = User.objects.create_user(email, password, account_name=account_name)
        self.stdout.write(
            f"Created root user {user.email} (account {user.account_id}, name {user.account_name})."
        )
