"""Create the demo root user on the first `make run`, and say how to sign in every time."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_EMAIL = "root@example.com"
DEMO_ACCOUNT_NAME = "demo-account"


class Command(BaseCommand):
    help = "Create a demo root user when no root user exists yet, and print its sign-in details."

    def handle(self, *args: object, **options: object) -> None:
        User = get_user_model()
        credentials_file = settings.VAR_DIR / "demo-root-user.txt"
        if not User.objects.exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_user(DEMO_EMAIL, password, account_name=DEMO_ACCOUNT_NAME)
            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
            fd = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{DEMO_EMAIL}\n{password}\n")
            self.stdout.write("Created the demo root user.")
        if credentials_file.exists():
            email, password = credentials_file.read_text().splitlines()[:2]
            if User.objects.filter(email=email).exists():
                self.stdout.write(
                    "Sign in at the console as the demo root user:\n"
                    f"  Root user email address: {email}\n"
                    f"  Password:                {password}"
                )
