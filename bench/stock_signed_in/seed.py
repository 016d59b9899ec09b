"""Migrates the stock signed-in app's database and signs one user in.

    python bench/stock_signed_in/seed.py   (VAR_DIR and STOCK_SECRET_KEY in the environment)

Prints one JSON line: the user's email and the Cookie header of a session made by Django's
own `login()` (through the test client's `force_login`), stored in the database as any
sign-in's is.
"""

import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stock_signed_in.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

EMAIL = "signed-in@bench.invalid"

call_command("migrate", verbosity=0, interactive=False)
user = User.objects.create_user("signed-in", EMAIL, secrets.token_urlsafe(16))
client = Client()
client.force_login(user)
session = client.cookies[settings.SESSION_COOKIE_NAME].value
print(json.dumps({"email": EMAIL, "cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}))
