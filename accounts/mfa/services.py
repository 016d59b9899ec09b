"""Every write to MFA devices: assign (authenticator app or passkey) and remove, each
recorded in the event history. Views, the sign-in step and ``remove_mfa`` all come here."""

import base64
import re
import secrets

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from ..events import Action, EventContext, event_record
from ..models import MFADevice, RootUser
from .totp import encrypt_seed

MFA_DEVICE_LIMIT = 8  # AWS's limit for a root user
NAME_MAX_LENGTH = 64
NAME_PATTERN = re.compile(r"[\w+=,.@-]+", re.ASCII)


class MFAError(Exception):
    """A device was not assigned; the message says why, in words for the page."""


class MFADeviceLimitExceeded(MFAError):
    def __init__(self) -> None:
        super().__init__(
            f"You can assign at most {MFA_DEVICE_LIMIT} MFA devices to the root user. "
            "Remove one before you assign another."
        )


class MFADeviceNameTaken(MFAError):
    def __init__(self, name: str) -> None:
        super().__init__(f"An MFA device named {name} already exists. Choose another name.")


def name_problem(name: str) -> str | None:
    if not name:
        return "Enter a device name."
    if len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.fullmatch(name):
        return (
            f"Use up to {NAME_MAX_LENGTH} characters: letters, numbers and + = , . @ - _ "
            "(no spaces)."
        )
    return None


def check_can_assign(*, owner: RootUser, name: str) -> None:
    """Raise the reason a device of this name cannot be assigned now, if any."""
    devices = MFADevice.objects.for_owner(owner)
    if devices.count() >= MFA_DEVICE_LIMIT:
        raise MFADeviceLimitExceeded()
    if devices.filter(name=name).exists():
        raise MFADeviceNameTaken(name)


def _create(*, owner: RootUser, context: EventContext | None, **fields: object) -> MFADevice:
    # The owner's row lock (SQLite: the write lock) makes the count and the insert one step,
    # so concurrent assignments cannot pass the limit together.
    try:
        with transaction.atomic():
            RootUser.objects.select_for_update().filter(pk=owner.pk).first()
            check_can_assign(owner=owner, name=str(fields["name"]))
            device = MFADevice.objects.create(owner=owner, **fields)
            event_record(action=Action.ENABLE_MFA_DEVICE, context=context, account=owner)
    except IntegrityError as error:  # the same name, assigned concurrently
        raise MFADeviceNameTaken(str(fields["name"])) from error
    return device


@sensitive_variables("secret")
def mfa_device_create_totp(
    *,
    owner: RootUser,
    name: str,
    secret: str,
    last_used_step: int,
    context: EventContext | None = None,
) -> MFADevice:
    """An authenticator app, proven by two codes; the second's step counts as used."""
    return _create(
        owner=owner,
        context=context,
        name=name,
        kind=MFADevice.Kind.TOTP,
        secret_ciphertext=encrypt_seed(secret),
        last_used_step=last_used_step,
    )


def mfa_device_create_passkey(
    *,
    owner: RootUser,
    name: str,
    credential_id: str,
    public_key: bytes,
    sign_count: int,
    context: EventContext | None = None,
) -> MFADevice:
    return _create(
        owner=owner,
        context=context,
        name=name,
        kind=MFADevice.Kind.PASSKEY,
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
        serial_suffix=base64.b32encode(secrets.token_bytes(15)).decode("ascii").rstrip("="),
    )


def mfa_device_remove(*, device: MFADevice, context: EventContext | None = None) -> None:
    with transaction.atomic():
        deleted, _ = MFADevice.objects.filter(pk=device.pk).delete()
        if deleted:
            event_record(action=Action.DEACTIVATE_MFA_DEVICE, context=context, account=device.owner)


def mfa_devices_remove_all(*, owner: RootUser, context: EventContext | None = None) -> int:
    """The operator's recovery path (``remove_mfa``): every device of the account."""
    removed = 0
    for device in MFADevice.objects.for_owner(owner):
        mfa_device_remove(device=device, context=context)
        removed += 1
    return removed
