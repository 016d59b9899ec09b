"""Factories for the people and keys the tests need, made through the real services."""

from itertools import count

from django.contrib.auth import get_user_model

from accounts.mfa import totp
from accounts.mfa.services import mfa_device_create_totp
from keys.services import NewAccessKey, access_key_create

PASSWORD = "correct horse battery staple"
_numbers = count(1)


def make_root_user(
    *, email: str | None = None, password: str = PASSWORD, account_name: str | None = None
):  # type: ignore[no-untyped-def]
    number = next(_numbers)
    email = email or f"root{number}@example.com"
    return get_user_model().objects.create_user(
        email, password, account_name=account_name or f"account-{number}"
    )


def make_access_key(owner) -> NewAccessKey:  # type: ignore[no-untyped-def]
    return access_key_create(owner=owner)


def make_totp_device(owner, *, name: str | None = None):  # type: ignore[no-untyped-def]
    """An authenticator app assigned through the service, as the wizard would (its last
    step used long ago, so any current code is fresh); returns the device and its seed."""
    secret = totp.new_secret()
    device = mfa_device_create_totp(
        owner=owner, name=name or f"app-{next(_numbers)}", secret=secret, last_used_step=0
    )
    return device, secret
