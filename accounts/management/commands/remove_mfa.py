"""The operator's recovery path when a root user has lost every MFA device (AWS support's
role for AWS): remove the account's MFA devices, recorded in the event history."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.mfa.services import mfa_devices_remove_all
from accounts.models import RootUser


class Command(BaseCommand):
    help = "Remove every MFA device of the root user with this email address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The root user's email address.")

    def handle(self, *args: object, email: str, **options: object) -> None:
        user = RootUser.objects.with_email(email.strip()).first()
        if user is None:
            raise CommandError(f"No root user has the email address {email.strip()}.")
        removed = mfa_devices_remove_all(owner=user)
        self.stdout.write(
            f"Removed {removed} MFA device(s) of {user.email}: "
            "the root user now signs in with the password alone."
        )
