"""The root user's MFA devices: authenticator apps (TOTP) and passkeys (WebAuthn).

``verify_totp_code`` and ``serial_number`` are the interface the sign-in step, the IAM API
and STS GetSessionToken share.
"""

from ..models import MFADevice
from .totp import verify_totp_code


def serial_number(device: MFADevice) -> str:
    """The device's ARN as AWS's ListMFADevices gives it for a root user: ``mfa/<name>``
    for an authenticator app, ``u2f/root/<name>-<suffix>`` for a FIDO security key."""
    account_id = device.owner.account_id
    if device.kind == MFADevice.Kind.TOTP:
        return f"arn:aws:iam::{account_id}:mfa/{device.name}"
    return f"arn:aws:iam::{account_id}:u2f/root/{device.name}-{device.serial_suffix}"


__all__ = ["MFADevice", "serial_number", "verify_totp_code"]
