"""Re-encrypt every stored secret with the newest key of KEYS_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import MFADevice
from keys.crypto import InvalidToken, decrypt_secret, rotate_ciphertext
from keys.models import AccessKey
from keys.stored_secrets import stored_secrets


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (access keys, MFA seeds) with the newest "
        "KEYS_ENCRYPTION_KEYS key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Keys re-encrypted (and locked) per transaction.",
        )

    def handle(self, *args: object, batch_size: int, **options: object) -> None:
        self._check_every_secret_opens()
        # Small transactions: one holding every key's row lock (or, on SQLite, the write lock)
        # would stall last-use recording, and so the API, for the whole run: minutes at
        # 200,000 keys. A re-run after an interruption is harmless.
        rotated = 0
        after = ""
        while True:
            with transaction.atomic():
                batch = list(
                    AccessKey.objects.select_for_update()
                    .filter(pk__gt=after)
                    .order_by("pk")
                    .only("pk", "secret_ciphertext")[:batch_size]
                )
                if not batch:
                    break
                for access_key in batch:
                    access_key.secret_ciphertext = rotate_ciphertext(access_key.secret_ciphertext)
                AccessKey.objects.bulk_update(batch, ["secret_ciphertext"])
            rotated += len(batch)
            after = batch[-1].pk
        self.stdout.write(f"Re-encrypted {rotated} secret access key(s) with the newest key.")
        self.stdout.write(
            f"Re-encrypted {self._rotate_mfa_seeds()} MFA seed(s) with the newest key."
        )

    def _rotate_mfa_seeds(self) -> int:
        """Authenticator-app seeds: a few per account at most, so one transaction."""
        with transaction.atomic():
            devices = list(
                MFADevice.objects.totp().select_for_update().only("pk", "secret_ciphertext")
            )
            for device in devices:
                device.secret_ciphertext = rotate_ciphertext(device.secret_ciphertext)
            MFADevice.objects.bulk_update(devices, ["secret_ciphertext"])
        return len(devices)

    def _check_every_secret_opens(self) -> None:
        """Refuse before changing anything when a configured key is missing."""
        for what, rows in stored_secrets():
            stored = rows.values_list("pk", "secret_ciphertext").order_by("pk")
            for pk, ciphertext in stored.iterator(chunk_size=2000):
                try:
                    decrypt_secret(ciphertext)
                except InvalidToken as error:
                    raise CommandError(
                        f"No key in KEYS_ENCRYPTION_KEYS opens {what} {pk}; nothing was changed."
                    ) from error
