"""Create the demo root user on the first `make run`, and say how to sign in every time."""

import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection

from accounts.password import password_problem

DEMO_EMAIL = "root@example.com"
DEMO_ACCOUNT_NAME = "demo-account"


def credentials_file() -> Path:
    """Where the demo password is kept: one file per database (SQLite in var/, or a
    DATABASE_URL's), so that each prints the password of its own demo user."""
    database = connection.settings_dict
    where = f"{connection.vendor}:{database['HOST']}:{database['PORT']}:{database['NAME']}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:12]
    return settings.VAR_DIR / f"demo-root-user-{digest}.txt"


def demo_password() -> str:
    """A random password that meets the root password rules (a few draws at most)."""
    while True:
        password = secrets.token_urlsafe(12)
        if password_problem(password, email=DEMO_EMAIL) is None:
            return password


class Command(BaseCommand):
    help = "Create a demo root user when no root user exists yet, and print its sign-in details."

    def handle(self, *args: object, **options: object) -> None:
        User = get_user_model()
        saved = credentials_file()
        if not User.objects.exists():
            password = demo_password()
            User.objects.create_user(DEMO_EMAIL, password, account_name=DEMO_ACCOUNT_NAME)
            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
            fd = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{DEMO_EMAIL}\n{password}\n")
            self.stdout.write("Created the demo root user.")
        if not saved.exists():
            saved = settings.VAR_DIR / "demo-root-user.txt"  # where earlier versions kept it
            if not saved.exists():
                return
        email, password = saved.read_text().splitlines()[:2]
        user = User.objects.with_email(email).first()
        if user is None:
            return
        if user.check_password(password):
            self.stdout.write(
                "Sign in at the console as the demo root user:\n"
                f"  Root user email address: {email}\n"
                f"  Password:                {password}"
            )
        else:
            self.stdout.write(
                f"The demo root user {email} has a new password since it was made (changed in "
                "the console): sign in with that one, or set another with "
                f"`python manage.py changepassword {email}`."
            )
