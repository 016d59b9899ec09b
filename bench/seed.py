"""Seed the benchmark's console database: many filler accounts, then the bench's root user.

Run with the project's own virtualenv, against the bench's temporary VAR_DIR (the settings
read it), after `manage.py migrate`:

    VAR_DIR=/tmp/x .venv/bin/python bench/seed.py --accounts 1000 --out /tmp/x/root.json

Filler accounts: a `seed_accounts` management command when the project has one, else a bulk
insert here (executemany on Django's connection, batches of BATCH accounts, one transaction
each). Every filler account gets two keys
(slot 1 Active, slot 2 Inactive) with well-formed IDs that encode its account ID; they share
one password hash and one secret ciphertext, since nobody signs in or signs with them, which
keeps 100,000 accounts / 200,000 keys to seconds instead of hours of Argon2 and Fernet.

The bench's root user is made the real way (`create_user`, `access_key_create`), and its email,
password and the two plain secrets are written, mode 0600, to --out as JSON.
"""

import argparse
import json
import os
import random
import secrets
import sys
import time
from pathlib import Path

BATCH = 5000
ROOT_EMAIL = "bench-root@example.com"
ROOT_ACCOUNT_NAME = "bench-root"


def setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()


def seed_filler(count: int) -> str:
    from django.core.management import call_command, get_commands

    if "seed_accounts" in get_commands():
        call_command("seed_accounts", "--accounts", str(count))
        return "manage.py seed_accounts"
    bulk_seed(count)
    return "bench/seed.py executemany"


def bulk_seed(count: int) -> None:
    """Insert filler rows with executemany on Django's connection: the ORM's bulk_create
    spends ~150 µs a row preparing values, which is minutes at 100k accounts."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from keys.crypto import encrypt_secret
    from keys.ids import generate_access_key_id, generate_secret_access_key
    from keys.models import AccessKey

    User = get_user_model()
    password_hash = make_password(secrets.token_urlsafe(24))  # one Argon2 hash for all
    ciphertext = encrypt_secret(generate_secret_access_key())  # one Fernet token for all
    taken = {int(a) for a in User.objects.values_list("account_id", flat=True)}
    rng = random.Random(20261127)  # noqa: S311 - filler data, reproducible
    account_ids = [a for a in rng.sample(range(10**12), count + len(taken)) if a not in taken]
    account_ids = [f"{a:012d}" for a in account_ids[:count]]
    now = timezone.now()
    as_db = connection.ops.adapt_datetimefield_value
    joined = as_db(now)
    created_pool = [as_db(now - timedelta(days=d, minutes=d * 7)) for d in range(400)]
    used_pool = [as_db(now - timedelta(minutes=m * 97)) for m in range(1000)]
    user_sql, user_fields = _insert_sql(
        User,
        [
            "email",
            "account_id",
            "account_name",
            "password",
            "last_login",
            "hide_root_credentials_warning",
            "is_active",
            "date_joined",
        ],
    )
    key_sql, _ = _insert_sql(
        AccessKey,
        [
            "access_key_id",
            "owner",
            "slot",
            "secret_ciphertext",
            "status",
            "created_at",
            "last_used_at",
            "last_used_region",
            "last_used_service",
        ],
    )
    table = connection.ops.quote_name(User._meta.db_table)
    pk = connection.ops.quote_name(User._meta.pk.column)
    account = connection.ops.quote_name(User._meta.get_field("account_id").column)
    start = User.objects.count()
    for offset in range(0, count, BATCH):
        chunk = account_ids[offset : offset + BATCH]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")  # noqa: S608
            (last_pk,) = cursor.fetchone()
            n = start + offset
            cursor.executemany(
                user_sql,
                [
                    (
                        f"filler-{n + i:07d}@example.com",
                        account_id,
                        f"filler-{n + i:07d}",
                        password_hash,
                        None,
                        False,
                        True,
                        joined,
                    )
                    for i, account_id in enumerate(chunk)
                ],
            )
            cursor.execute(
                f"SELECT {pk}, {account} FROM {table} WHERE {pk} > %s",  # noqa: S608
                [last_pk],
            )
            owners = cursor.fetchall()
            rows = []
            for owner_pk, account_id in owners:
                used = rng.random() < 0.5
                rows.append(
                    (
                        generate_access_key_id(account_id),
                        owner_pk,
                        1,
                        ciphertext,
                        AccessKey.Status.ACTIVE.value,
                        rng.choice(created_pool),
                        rng.choice(used_pool) if used else None,
                        "us-east-1" if used else "",
                        "sts" if used else "",
                    )
                )
                rows.append(
                    (
                        generate_access_key_id(account_id),
                        owner_pk,
                        2,
                        ciphertext,
                        AccessKey.Status.INACTIVE.value,
                        rng.choice(created_pool),
                        None,
                        "",
                        "",
                    )
                )
            cursor.executemany(key_sql, rows)


def _insert_sql(model: type, names: list[str]) -> tuple[str, list[str]]:
    """INSERT for the named fields; fails loudly if the model grew a required column."""
    from django.db import connection, models

    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    missing = [
        f.name
        for f in model._meta.concrete_fields
        if f not in fields
        and not isinstance(f, models.AutoField)
        and not f.null
        and f.db_default is models.NOT_PROVIDED
    ]
    if missing:
        raise SystemExit(f"bench/seed.py: {model.__name__} has new required fields {missing}")
    columns = ", ".join(qn(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    # Names from the models' own metadata, quoted; the values go as parameters.
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608
    return sql, names


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
