"""Authenticator apps: RFC 6238 codes (6 digits, 30 s) through pyotp, seeds at rest only as
Fernet tokens, and each code accepted once.

A code is good for its own time step and one step either side (clock drift). Accepting it
moves the device's ``last_used_step`` forward in one conditional UPDATE, so of two requests
presenting the same code at the same moment only one can win, on SQLite and PostgreSQL alike.
"""

import base64
import hmac
import re
import secrets
import time

import pyotp
import segno
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from keys.crypto import decrypt_secret, encrypt_secret

from ..models import MFADevice, RootUser

SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended seed length
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER = "AWS"
CODE_PATTERN = re.compile(rf"[0-9]{{{DIGITS}}}")


def new_secret() -> str:
    """A fresh Base32 seed (what **Show secret key** shows and the QR code carries)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def normalize_code(code: str) -> str | None:
    """Six digits, with the spaces an app shows in the middle allowed; else None."""
    code = re.sub(r"\s+", "", code or "")
    return code if CODE_PATTERN.fullmatch(code) else None


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


@sensitive_variables("secret")
def code_step(secret: str, code: str, *, steps: range) -> int | None:
    """The step among ``steps`` whose code this is, or None (compared in constant time)."""
    found = None
    for step in steps:
        if hmac.compare_digest(_totp(secret).at(step * STEP_SECONDS), code):
            found = step
    return found


@sensitive_variables("secret")
def provisioning_uri(secret: str, *, owner: RootUser, device_name: str) -> str:
    label = f"{owner.account_name}@{owner.account_id}:{device_name}"
    return _totp(secret).provisioning_uri(name=label, issuer_name=ISSUER)


@sensitive_variables("secret")
def qr_svg(secret: str, *, owner: RootUser, device_name: str) -> str:
    """The otpauth:// URI as an inline SVG QR code, drawn here (no outside service)."""
    qr = segno.make(provisioning_uri(secret, owner=owner, device_name=device_name), error="m")
    # omitsize: a viewBox and no width or height, so the stylesheet scales the whole code
    # (with a fixed size, a smaller width cropped its edge and two finder patterns).
    return qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", omitsize=True)


@sensitive_variables("secret")
def consecutive_codes_step(
    secret: str, code_1: str, code_2: str, *, now: float | None = None
) -> int | None:
    """For the wizard: the step of the second of two consecutive codes, or None."""
    step_2 = code_step(secret, code_2, steps=_window(now))
    if step_2 is None or code_step(secret, code_1, steps=range(step_2 - 1, step_2)) is None:
        return None
    return step_2


def _window(now: float | None) -> range:
    step = current_step(now)
    return range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1)


def encrypt_seed(secret: str) -> str:
    return encrypt_secret(secret)


@sensitive_variables("code", "secret")
def verify_totp_code(
    *, owner: RootUser, code: str, serial_number: str | None = None, now: float | None = None
) -> bool:
    """True when ``code`` is a fresh code of one of the owner's authenticator apps (only the
    one with this serial number, when given), and marks its step used."""
    from . import serial_number as serial_of  # the package's one definition

    code = normalize_code(code)  # type: ignore[assignment]
    if code is None:
        return False
    steps = _window(now)
    for device in MFADevice.objects.for_owner(owner).totp():
        device.owner = owner  # serial_of reads the account ID: no query per device
        if serial_number is not None and not hmac.compare_digest(serial_of(device), serial_number):
            continue
        secret = decrypt_secret(device.secret_ciphertext)
        step = code_step(secret, code, steps=steps)
        if step is None:
            continue
        # Single use: only a step newer than the last accepted one, in one atomic UPDATE.
        claimed = (
            MFADevice.objects.filter(pk=device.pk)
            .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
            .update(last_used_step=step)
        )
        if claimed:
            return True
    return False
