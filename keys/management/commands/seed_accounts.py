"""Fill the database with filler root users and their access keys, for load and scale tests.

Fast enough for 100,000 accounts and 200,000 keys in seconds: one transaction per batch of
whole accounts with their keys, written with COPY (PostgreSQL) or executemany (SQLite) of
ready-made values; the ORM's bulk_create spends ~150 µs a row preparing values, most of a
minute at this size. Filler accounts cannot sign in (unusable password) and nobody can sign
with their keys: the keys share one Fernet ciphertext of a random secret that is thrown away
at once. Their key IDs are real ones, each encoding its own account's ID. Never run this
against a production database.
"""

import secrets
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import ACCOUNT_ID_DIGITS
from keys.crypto import encrypt_secret
from keys.ids import generate_access_key_id, generate_secret_access_key
from keys.models import SLOTS, AccessKey

FILLER_EMAIL_DOMAIN = "filler.invalid"  # a reserved TLD: never anyone's real address
ACCOUNT_FIELDS = [
    "email",
    "account_id",
    "account_name",
    "password",
    "last_login",
    "hide_root_credentials_warning",
    "is_active",
    "date_joined",
]
KEY_FIELDS = [
    "access_key_id",
    "owner",
    "slot",
    "secret_ciphertext",
    "status",
    "created_at",
    "last_used_at",
    "last_used_region",
    "last_used_service",
]


class Command(BaseCommand):
    help = (
        "Create N filler root users (unusable passwords) with up to two access keys each, "
        "in bulk. For load and scale tests only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, required=True, help="How many accounts.")
        parser.add_argument(
            "--keys-per-account",
            type=int,
            default=2,
            choices=range(len(SLOTS) + 1),
            help="Access keys for each account: slot 1 Active, slot 2 Inactive (default 2).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Accounts per transaction."
        )

    def handle(
        self,
        *args: object,
        accounts: int,
        keys_per_account: int,
        batch_size: int,
        **options: object,
    ) -> None:
        if accounts < 1 or batch_size < 1:
            raise CommandError("--accounts and --batch-size must be positive.")
        began = time.monotonic()
        seeder = FillerSeeder(keys_per_account=keys_per_account)
        made_keys = 0
        for start in range(0, accounts, batch_size):
            made_keys += seeder.seed_batch(min(batch_size, accounts - start))
        elapsed = time.monotonic() - began
        self.stdout.write(
            f"Created {accounts} filler account(s) and {made_keys} access key(s) in {elapsed:.1f}s."
        )


class FillerSeeder:
    def __init__(self, *, keys_per_account: int) -> None:
        self.User = get_user_model()
        self.slots = SLOTS[:keys_per_account]
        # One encryption for all: Fernet per key would be most of the run.
        self.ciphertext = encrypt_secret(generate_secret_access_key())
        now = timezone.now()
        as_db = connection.ops.adapt_datetimefield_value
        self.joined = as_db(now)
        self.last_used = as_db(now.replace(second=0, microsecond=0))
        # Creation dates spread over the past year, as real accounts' keys would be.
        self.created_pool = [as_db(now - timedelta(days=days)) for days in range(365)]
        self.insert_accounts = _Insert(self.User, ACCOUNT_FIELDS)
        self.insert_keys = _Insert(AccessKey, KEY_FIELDS)

    def seed_batch(self, size: int) -> int:
        """Whole accounts with their keys, in one transaction; returns the keys made."""
        with transaction.atomic():
            account_ids = self._free_account_ids(size)
            self.insert_accounts.rows([self._account(a) for a in account_ids])
            owners = self.User.objects.filter(account_id__in=account_ids).values_list(
                "pk", "account_id"
            )
            keys = [self._access_key(pk, a, slot) for pk, a in owners for slot in self.slots]
            self.insert_keys.rows(keys)
        return len(keys)

    def _free_account_ids(self, size: int) -> list[str]:
        """Random, unique 12-digit account IDs that no stored account has yet."""
        chosen: set[str] = set()
        while len(chosen) < size:
            candidates = {
                f"{secrets.randbelow(10**ACCOUNT_ID_DIGITS):0{ACCOUNT_ID_DIGITS}d}"
                for _ in range(size - len(chosen))
            }
            taken = self.User.objects.filter(account_id__in=candidates).values_list(
                "account_id", flat=True
            )
            chosen |= candidates - set(taken)
        return sorted(chosen)

    def _account(self, account_id: str) -> tuple[object, ...]:
        return (
            f"root-{account_id}@{FILLER_EMAIL_DOMAIN}",
            account_id,
            f"filler-{account_id}",
            # Unusable (Django's own prefix) and never hashed: nobody signs in as filler.
            UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
            None,
            False,
            True,
            self.joined,
        )

    def _access_key(self, owner_pk: int, account_id: str, slot: int) -> tuple[object, ...]:
        used = slot == 1 and secrets.randbelow(2) == 0
        return (
            generate_access_key_id(account_id),
            owner_pk,
            slot,
            self.ciphertext,
            AccessKey.Status.ACTIVE if slot == 1 else AccessKey.Status.INACTIVE,
            secrets.choice(self.created_pool),
            self.last_used if used else None,
            "us-east-1" if used else "",
            "sts" if used else "",
        )


class _Insert:
    """Bulk INSERTs of the named fields, values already in the database's format: COPY on
    PostgreSQL, executemany on SQLite (each its fastest way in).

    Refuses to run if the model grew a required column that this command would leave out.
    """

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        fields = [model._meta.get_field(name) for name in names]
        missing = _required_fields_missing(model, fields)
        if missing:
            raise CommandError(f"seed_accounts leaves out {model.__name__}.{missing}; update it.")
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in fields)
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"  # nosec B608 (names from _meta)
        placeholders = ", ".join(["%s"] * len(fields))
        # Names from the model's own _meta, quoted; the values go as parameters.
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608  # nosec B608

    def rows(self, rows: Sequence[tuple[object, ...]]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.insert_sql, rows)


def _required_fields_missing(
    model: type[models.Model], fields: Iterable[models.Field]
) -> list[str]:
    given = set(fields)
    return [
        field.name
        for field in model._meta.concrete_fields
        if field not in given
        and not isinstance(field, models.AutoField)
        and not field.null
        and field.db_default is models.NOT_PROVIDED
    ]
