"""Seed the benchmark's console database: many filler accounts, then the bench's root user.

Run with the project's own virtualenv, against the bench's temporary VAR_DIR (the settings
read it), after `manage.py migrate`:

    VAR_DIR=/tmp/x .venv/bin/python bench/seed.py --accounts 1000 --out /tmp/x/root.json

Filler accounts come from the project's own `manage.py seed_accounts`: two keys each (slot 1
Active, slot 2 Inactive) with well-formed IDs that encode their account, sharing one secret
ciphertext and no usable password, so 100,000 accounts / 200,000 keys take seconds.

The bench's root user is made the real way (`create_user`, `access_key_create`), and its email,
password and the two plain secrets are written, mode 0600, to --out as JSON.
"""

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

ROOT_EMAIL = "bench-root@example.com"
ROOT_ACCOUNT_NAME = "bench-root"


def setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()


def seed_filler(count: int) -> str:
    from django.core.management import call_command

    call_command("seed_accounts", "--accounts", str(count))
    return "manage.py seed_accounts"


def create_root(out: Path) -> dict:
    from django.contrib.auth import get_user_model

    from keys.services import access_key_create

    password = secrets.token_urlsafe(18)
    user = get_user_model().objects.create_user(
        ROOT_EMAIL, password, account_name=ROOT_ACCOUNT_NAME
    )
    new_keys = [access_key_create(owner=user) for _ in range(2)]
    root = {
        "email": user.email,
        "password": password,
        "account_id": user.account_id,
        "keys": [
            {"id": k.access_key.access_key_id, "secret": k.secret_access_key} for k in new_keys
        ],
    }
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(root, handle)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model

    from keys.models import AccessKey

    began = time.monotonic()
    how = seed_filler(args.accounts) if args.accounts > 0 else "none"
    seeded = time.monotonic() - began
    root = create_root(args.out)
    print(
        json.dumps(
            {
                "filler_via": how,
                "filler_seconds": round(seeded, 2),
                "accounts": get_user_model().objects.count(),
                "access_keys": AccessKey.objects.count(),
                "root_account_id": root["account_id"],
            }
        )
    )


if __name__ == "__main__":
    main()
