"""Fill the database with filler root users and their access keys, for load and scale tests.

Fast enough for 100,000 accounts and 200,000 keys in seconds: rows go in with bulk_create,
one transaction per batch of whole accounts with their keys. Filler accounts cannot sign
in (unusable password) and nobody can sign with their keys: the keys share one Fernet
ciphertext of a random secret that is thrown away at once. Their key IDs are real ones,
each encoding its own account's ID. Never run this against a production database.
"""

import secrets
import time
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import ACCOUNT_ID_DIGITS
from keys.crypto import encrypt_secret
from keys.ids import generate_access_key_id, generate_secret_access_key
from keys.models import AccessKey
from keys.services import SLOTS

FILLER_EMAIL_DOMAIN = "filler.invalid"  # a reserved TLD: never anyone's real address


class Command(BaseCommand):
    help = (
        "Create N filler root users (unusable passwords) with up to two access keys each, "
        "in bulk. For load and scale tests only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, required=True, help="How many accounts.")
        parser.add_argument(
            "--keys-per-account", type=int, default=2, choices=range(len(SLOTS) + 1),
            help="Access keys for each account: slot 1 Active, slot 2 Inactive (default 2).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Accounts per transaction."
        )

    def handle(
        self, *args: object, accounts: int, keys_per_account: int, batch_size: int,
        **options: object,
    ) -> None:
        if accounts < 1 or batch_size < 1:
            raise CommandError("--accounts and --batch-size must be positive.")
        began = time.monotonic()
        made_keys = 0
        seeder = _Seeder(keys_per_account=keys_per_account)
        for start in range(0, accounts, batch_size):
            made_keys += seeder.seed_batch(min(batch_size, accounts - start))
        elapsed = time.monotonic() - began
        self.stdout.write(
            f"Created {accounts} filler account(s) and {made_keys} access key(s) "
            f"in {elapsed:.1f}s."
        )


class _Seeder:
    def __init__(self, *, keys_per_account: int) -> None:
        self.keys_per_account = keys_per_account
        self.now = timezone.now()
        # One encryption for all: Fernet per key would be most of the run.
        self.ciphertext = encrypt_secret(generate_secret_access_key())
        self.User = get_user_model()

    def seed_batch(self, size: int) -> int:
        with transaction.atomic():
            owners = self.User.objects.bulk_create(
                [self._account(account_id) for account_id in self._free_account_ids(size)],
                batch_size=size,
            )
            keys = [
                self._access_key(owner, slot)
                for owner in owners
                for slot in SLOTS[: self.keys_per_account]
            ]
            AccessKey.objects.bulk_create(keys, batch_size=size * len(SLOTS))
        return len(keys)

    def _free_account_ids(self, size: int) -> list[str]:
        """Random, unique 12-digit account IDs that no stored account has yet."""
        chosen: set[str] = set()
        while len(chosen) < size:
            candidates = {
                f"{secrets.randbelow(10**ACCOUNT_ID_DIGITS):0{ACCOUNT_ID_DIGITS}d}"
                for _ in range(size - len(chosen))
            }
            taken = set(
                self.User.objects.filter(account_id__in=candidates).values_list(
                    "account_id", flat=True
                )
            )
            chosen |= candidates - taken
        return sorted(chosen)

    def _account(self, account_id: str):  # type: ignore[no-untyped-def]
        return self.User(
            email=f"root-{account_id}@{FILLER_EMAIL_DOMAIN}",
            account_id=account_id,
            account_name=f"filler-{account_id}",
            # Unusable (Django's own prefix), and no hashing: nobody signs in as filler.
            password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
            date_joined=self.now,
        )

    def _access_key(self, owner, slot: int) -> AccessKey:  # type: ignore[no-untyped-def]
        # Spread creation and last use over the past year, as real accounts would have.
        created_at = self._days_ago(secrets.randbelow(365))
        used = slot == 1 and secrets.randbelow(2) == 0
        return AccessKey(
            access_key_id=generate_access_key_id(owner.account_id),
            owner_id=owner.pk,
            slot=slot,
            secret_ciphertext=self.ciphertext,
            status=AccessKey.Status.ACTIVE if slot == 1 else AccessKey.Status.INACTIVE,
            created_at=created_at,
            last_used_at=self.now.replace(second=0, microsecond=0) if used else None,
            last_used_region="us-east-1" if used else "",
            last_used_service="sts" if used else "",
        )

    def _days_ago(self, days: int) -> datetime:
        return self.now - timedelta(days=days)
