"""What the database holds encrypted (keys/crypto.py): every access key's secret and every
authenticator app's seed. The one list that ``rotate_encryption_keys`` and /readyz check."""

from django.db.models import QuerySet

from accounts.models import MFADevice

from .models import AccessKey


def stored_secrets() -> list[tuple[str, QuerySet]]:
    """(what a row's secret is, in an error message; the rows), for each kind of secret."""
    return [
        ("the secret of", AccessKey.objects.all()),
        ("the seed of MFA device", MFADevice.objects.totp()),
    ]
