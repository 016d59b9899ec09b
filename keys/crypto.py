"""Secrets at rest: Fernet tokens under a MultiFernet of ``KEYS_ENCRYPTION_KEYS``.

The newest key (first) encrypts; any of them decrypts, so keys can be rotated by adding a
new one in front, running ``rotate_encryption_keys``, then dropping the old one.
"""

from functools import cache, lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


@cache
def _multi_fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in settings.KEYS_ENCRYPTION_KEYS])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "KEYS_ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64 bytes)."
        ) from error


def check_encryption_keys() -> None:
    """Raise ImproperlyConfigured unless every key in KEYS_ENCRYPTION_KEYS is a Fernet key."""
    _multi_fernet()


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: object) -> None:
    if setting == "KEYS_ENCRYPTION_KEYS":
        _multi_fernet.cache_clear()
        _decrypt_cached.cache_clear()


class MaskedSecret(str):
    """A secret that renders as itself but never shows in a repr (logs, tracebacks, dumps)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'********'"


def encrypt_secret(secret: str) -> str:
    return _multi_fernet().encrypt(secret.encode()).decode("ascii")


def decrypt_secret(ciphertext: str) -> str:
    """Decrypt a stored secret. Raises InvalidToken when no configured key opens it."""
    return _decrypt_cached(ciphertext)


@lru_cache(maxsize=4096)
def _decrypt_cached(ciphertext: str) -> str:
    # A token decrypts to the same secret for ever, so caching is exact; it spares the
    # API's hot path an AES decryption and HMAC check per request.
    return _multi_fernet().decrypt(ciphertext.encode("ascii")).decode()


def seal(data: bytes) -> str:
    """Encrypt and authenticate bytes that the client keeps (a session token), not the
    database: the newest key seals, any listed key opens."""
    return _multi_fernet().encrypt(data).decode("ascii")


def unseal(token: str) -> bytes:
    """The bytes :func:`seal` sealed. Raises InvalidToken for anything else: altered,
    truncated, not ASCII, or sealed under a key no longer listed."""
    try:
        token_bytes = token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken from None
    return _multi_fernet().decrypt(token_bytes)


def rotate_ciphertext(ciphertext: str) -> str:
    return _multi_fernet().rotate(ciphertext.encode("ascii")).decode("ascii")


__all__ = [
    "InvalidToken",
    "MaskedSecret",
    "decrypt_secret",
    "encrypt_secret",
    "rotate_ciphertext",
    "seal",
    "unseal",
]
