"""Re-encrypt every stored secret with the newest key of KEYS_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from keys.crypto import InvalidToken, rotate_ciphertext
from keys.models import AccessKey


class Command(BaseCommand):
    help = "Re-encrypt every stored secret access key with the newest KEYS_ENCRYPTION_KEYS key."

    def handle(self, *args: object, **options: object) -> None:
        rotated = 0
        with transaction.atomic():
            for access_key in AccessKey.objects.select_for_update().only("pk", "secret_ciphertext"):
                try:
                    ciphertext = rotate_ciphertext(access_key.secret_ciphertext)
                except InvalidToken as error:
                    raise CommandError(
                        f"No key in KEYS_ENCRYPTION_KEYS opens the secret of {access_key.pk}; "
                        "nothing was changed."
                    ) from error
                AccessKey.objects.filter(pk=access_key.pk).update(secret_ciphertext=ciphertext)
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} secret access key(s) with the newest key.")
