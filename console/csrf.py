"""The CSRF token a page's forms carry: Django's masked token, with its mask drawn in one
read of the operating system's random source instead of 32.

``django.middleware.csrf.get_token`` masks the secret with ``get_random_string``: one
``secrets.choice``, and so one ``os.urandom`` call, per character. That was 7% of the
credentials page's CPU. This is the same token (a fresh 32-character mask over
``CSRF_ALLOWED_CHARS``, then the secret shifted by it, which ``CsrfViewMiddleware``
unmasks) with the same side effect (the cookie is re-sent to renew it). The mask stays
uniform: bytes are drawn with ``secrets`` and any at or above the largest multiple of 62
are dropped, not folded in. A request without a CSRF secret yet goes to Django's
``get_token``, which makes one. ``tests/console/test_csrf.py`` checks tokens with Django's
own unmasking and with the middleware.
"""

import secrets

from django.http import HttpRequest
from django.middleware import csrf as django_csrf

_CHARS = django_csrf.CSRF_ALLOWED_CHARS
_BASE = len(_CHARS)
_POSITION = {char: index for index, char in enumerate(_CHARS)}
_LENGTH = django_csrf.CSRF_SECRET_LENGTH
_UNBIASED_BELOW = 256 - 256 % _BASE  # 248: bytes below it map evenly onto the 62 chars


def _mask_digits() -> list[int]:
    digits: list[int] = []
    while len(digits) < _LENGTH:  # 48 bytes hold 32 usable ones in all but ~1 in 10^13 draws
        digits += [b % _BASE for b in secrets.token_bytes(48) if b < _UNBIASED_BELOW]
    return digits[:_LENGTH]


def masked(secret: str) -> str:
    """``secret`` masked as ``django.middleware.csrf._mask_cipher_secret`` masks it."""
    mask = _mask_digits()
    # The middleware only ever holds a 32-character secret of these characters.
    shifted = zip(secret, mask, strict=True)
    cipher = [_CHARS[(_POSITION[char] + shift) % _BASE] for char, shift in shifted]
    return "".join([_CHARS[shift] for shift in mask]) + "".join(cipher)


def get_token(request: HttpRequest) -> str:
    """``django.middleware.csrf.get_token``, with the mask drawn as above."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        return django_csrf.get_token(request)  # makes the secret and flags the cookie
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token does: renew the cookie
    return masked(secret)
