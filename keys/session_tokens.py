"""Temporary credentials (STS GetSessionToken): the session token and AWS's rules for it.

A session token is self-contained. It is a Fernet token sealed with the key-encryption keys
(keys/crypto.py): AES-128-CBC and HMAC-SHA256 over the parent access key's ID, the session's
own ``ASIA…`` key ID and secret, the expiry and whether MFA was used. The server stores
nothing per session. So any app server verifies a session-signed request with the same one
read it makes for a long-term key: the parent key and its account (keys/lookup.py). That
read also revokes: a session whose parent key is inactive or deleted authenticates nothing.

One changed byte fails the HMAC. A token moved to another key ID fails the ID check, and
one sealed by another server (other keys) does not open. Each of these is
InvalidClientTokenId, as at AWS.

Key rollover: MultiFernet opens a token with any key listed in KEYS_ENCRYPTION_KEYS, and
``rotate_encryption_keys`` re-encrypts what the database holds, never what clients hold.
A token sealed before a rotation keeps working until it expires (an hour at most) or its
key leaves the list, whichever comes first. Wait an hour after rotating before you drop the
old key, or drop it at once to end every session it sealed.
"""

import hmac
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver

from accounts.events import Action, EventContext, event_record
from accounts.mfa import MFADevice, verify_totp_code
from accounts.mfa import serial_number as mfa_serial_number
from accounts.models import RootUser

from .crypto import InvalidToken, MaskedSecret, seal, unseal
from .exceptions import (
    ExpiredSessionToken,
    InvalidSessionToken,
    MfaCodeInvalid,
    MfaNotValidated,
    SessionActionRefused,
)
from .ids import (
    ACCESS_KEY_ID_PATTERN,
    TEMPORARY_ACCESS_KEY_ID_PATTERN,
    TEMPORARY_ACCESS_KEY_ID_PREFIX,
    generate_access_key_id,
    generate_secret_access_key,
)
from .mfa_attempts import mfa_attempt_begin, mfa_attempt_succeeded
from .models import AccessKey

# DurationSeconds: what the request shape allows (botocore's durationSecondsType, an IAM
# user's range), and a root user's sessions, at most an hour and an hour when not asked.
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 129_600
ROOT_MAX_DURATION_SECONDS = 3600

# Of STS, GetSessionToken credentials may call GetCallerIdentity only; IAM needs MFA.
STS_ACTIONS_FOR_SESSIONS = frozenset({"GetCallerIdentity"})
SERVICES_NEEDING_MFA = frozenset({"iam"})

# Version, flags, expiry (Unix seconds), parent key ID, session key ID, session secret.
_LAYOUT = struct.Struct(">BBQ20s20s40s")
_VERSION = 1
_MFA = 0b1
# A sealed token is ~204 characters; anything far longer is no token of ours, and is
# refused before any base64 or HMAC work.
MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class Session:
    """What a session token says, once it has opened."""

    access_key_id: str  # ASIA…
    parent_access_key_id: str  # the long-term key that made it
    secret_access_key: str = field(repr=False)
    expires_at: datetime
    mfa_authenticated: bool


@dataclass(frozen=True)
class NewSession:
    """A session just made: the only moment its token is handed out."""

    session: Session
    session_token: str = field(repr=False)


def session_token_create(
    *,
    access_key: AccessKey,
    duration_seconds: int,
    mfa_authenticated: bool,
    now: datetime,
    context: EventContext | None = None,
) -> NewSession:
    """Temporary credentials for ``access_key``'s root user: a root user's session lasts
    at most an hour, so a longer ``duration_seconds`` is cut to it, as AWS does."""
    if duration_seconds < MIN_DURATION_SECONDS:
        raise ValueError(f"A session lasts at least {MIN_DURATION_SECONDS} seconds.")
    owner = access_key.owner
    lifetime = min(duration_seconds, ROOT_MAX_DURATION_SECONDS)
    session = Session(
        access_key_id=generate_access_key_id(
            owner.account_id, prefix=TEMPORARY_ACCESS_KEY_ID_PREFIX
        ),
        parent_access_key_id=access_key.access_key_id,
        secret_access_key=MaskedSecret(generate_secret_access_key()),
        expires_at=now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=lifetime),
        mfa_authenticated=mfa_authenticated,
    )
    payload = _LAYOUT.pack(
        _VERSION,
        _MFA if mfa_authenticated else 0,
        int(session.expires_at.timestamp()),
        session.parent_access_key_id.encode("ascii"),
        session.access_key_id.encode("ascii"),
        session.secret_access_key.encode("ascii"),
    )
    # The parent key's ID only: never the session's secret or token.
    event_record(
        action=Action.GET_SESSION_TOKEN,
        context=context,
        account=owner,
        access_key_id=access_key.access_key_id,
    )
    return NewSession(session=session, session_token=seal(payload))


def session_token_open(
    token: str | None, *, access_key_id: str, service: str, now: datetime
) -> Session:
    """The session behind a request signed with ``access_key_id`` (an ASIA ID) carrying
    ``token``, for ``service``. Raises InvalidSessionToken (missing, altered, foreign,
    another key ID's, or IAM without MFA) or ExpiredSessionToken. No database access: the
    caller checks the parent key in its one read."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidSessionToken
    session = _unsealed(token)
    if not hmac.compare_digest(session.access_key_id, access_key_id):
        raise InvalidSessionToken
    if now >= session.expires_at:
        raise ExpiredSessionToken
    if service in SERVICES_NEEDING_MFA and not session.mfa_authenticated:
        # AWS answers IAM calls of a session made without MFA as an invalid token.
        raise InvalidSessionToken
    return session


@lru_cache(maxsize=4096)
def _unsealed(token: str) -> Session:
    """A token opens to the same session for ever, so a busy session is opened (HMAC, AES,
    parsing: ~25 µs) once, not per request. Only genuine tokens are cached (a failure
    raises), the cache is bounded, and it is emptied when the keys change."""
    try:
        version, flags, expiry, parent, own, secret = _LAYOUT.unpack(unseal(token))
    except (InvalidToken, struct.error):
        raise InvalidSessionToken from None
    session_key_id = own.decode("ascii", "replace")
    parent_id = parent.decode("ascii", "replace")
    if not (
        version == _VERSION
        and TEMPORARY_ACCESS_KEY_ID_PATTERN.fullmatch(session_key_id)
        and ACCESS_KEY_ID_PATTERN.fullmatch(parent_id)
    ):
        raise InvalidSessionToken  # sealed by us, so never; but never trusted blindly
    return Session(
        access_key_id=session_key_id,
        parent_access_key_id=parent_id,
        secret_access_key=MaskedSecret(secret.decode("ascii", "replace")),
        expires_at=datetime.fromtimestamp(expiry, UTC),
        mfa_authenticated=bool(flags & _MFA),
    )


@receiver(setting_changed)
def _forget_sessions(*, setting: str, **kwargs: object) -> None:
    # A key removed from KEYS_ENCRYPTION_KEYS must stop opening what it sealed.
    if setting == "KEYS_ENCRYPTION_KEYS":
        _unsealed.cache_clear()


def session_check_action(session: Session, *, service: str, action: str) -> None:
    """AWS's limit on what temporary credentials may call in STS."""
    if service == "sts" and action not in STS_ACTIONS_FOR_SESSIONS:
        raise SessionActionRefused(action)


def mfa_check(
    *, owner: RootUser, serial_number: str | None, token_code: str | None, now: datetime
) -> bool:
    """Whether GetSessionToken's MFA parameters pass: False when none were given, True when
    both were and the code is right; else MfaNotValidated (one given without the other:
    there is nothing to check it against), MfaCodeInvalid or MfaAttemptsExceeded."""
    if serial_number is None and token_code is None:
        return False
    if serial_number is None or token_code is None:
        raise MfaNotValidated
    _verify_mfa(owner, serial_number, token_code, now=now)
    return True


def _verify_mfa(owner: RootUser, serial_number: str, token_code: str, *, now: datetime) -> None:
    """The sign-in's TOTP rules (single use, ±1 step: accounts.mfa.verify_totp_code) for
    one of the owner's authenticator apps, and keys/mfa_attempts.py's limit on wrong codes.
    A passkey is no device here: AWS takes only TOTP devices' codes for GetSessionToken."""
    apps = MFADevice.objects.for_owner(owner).totp()
    # Serial numbers are public (ListMFADevices): a plain comparison.
    if not any(mfa_serial_number(_owned_by(app, owner)) == serial_number for app in apps):
        raise MfaNotValidated  # another account's device, a passkey, or none at all
    mfa_attempt_begin(owner_pk=owner.pk, now=now)
    if not verify_totp_code(
        owner=owner, code=token_code, serial_number=serial_number, now=now.timestamp()
    ):
        raise MfaCodeInvalid  # wrong, or already used (sign-in or an earlier session)
    mfa_attempt_succeeded(owner_pk=owner.pk)


def _owned_by(device: MFADevice, owner: RootUser) -> MFADevice:
    device.owner = owner  # the serial number reads the account ID: no query per device
    return device
