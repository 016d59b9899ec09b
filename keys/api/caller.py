"""Who signed a request: the key (or the session and its parent key) read in one query,
the signature checked with its secret, the use recorded."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings

from accounts.events import Channel, EventContext
from accounts.models import RootUser

from .. import sigv4
from ..exceptions import INVALID_CLIENT_TOKEN, InvalidSessionToken
from ..ids import ACCESS_KEY_ID_PATTERN, TEMPORARY_ACCESS_KEY_ID_PATTERN
from ..lookup import AccountKeys, account_keys_of
from ..models import AccessKey
from ..services import access_key_record_use
from ..session_tokens import Session, session_token_open
from .protocol import ApiError
from .xml import Fields


@dataclass
class Caller:
    """The verified root user behind a request: the key that signed it (for temporary
    credentials, the long-term key that made them) and all the account's keys (at most
    two), read together; and the session, when temporary credentials signed it."""

    access_key: AccessKey
    account_keys: AccountKeys
    now: datetime  # the request's one reading of the clock
    environ: Mapping[str, Any] = field(repr=False)
    session: Session | None = None

    @property
    def owner(self) -> RootUser:
        return self.access_key.owner

    @cached_property
    def context(self) -> EventContext:
        """Where the call came from, for the event history of its changes: worked out only
        by the actions that change something."""
        return EventContext.from_environ(self.environ, channel=Channel.API)


def authenticate(
    signed: sigv4.SignedRequest, *, now: datetime, environ: Mapping[str, Any]
) -> Caller:
    """One query for the key, its owner and the owner's other key; the signature check; then
    the last-use record (one UPDATE at most). The sibling rides along in the same query so
    that no action needs a second read: ListAccessKeys and the ownership check of
    Update/Delete/GetAccessKeyLastUsed are answered from it.

    Temporary credentials (an ASIA key ID and its session token) cost the same: the token
    opens without the database (keys/session_tokens.py) and names its parent key, which is
    then read, checked and recorded as above. So a session ends the moment its parent key
    is made inactive or deleted."""
    session: Session | None = None
    key_id = signed.access_key_id
    if TEMPORARY_ACCESS_KEY_ID_PATTERN.fullmatch(key_id):
        session = session_token_open(
            signed.session_token, access_key_id=key_id, service=signed.service, now=now
        )
        key_id = session.parent_access_key_id
    elif signed.session_token:  # a long-term key signs without a token
        raise InvalidSessionToken
    # A string that is not a key ID names no key: no query, and no odd bytes for the driver.
    if not ACCESS_KEY_ID_PATTERN.fullmatch(key_id):
        raise ApiError("InvalidClientTokenId", INVALID_CLIENT_TOKEN, status=403)
    account_keys = account_keys_of(key_id)
    access_key = account_keys.get(key_id)
    if access_key is None or not access_key.is_active or not access_key.owner.is_active:
        raise ApiError("InvalidClientTokenId", INVALID_CLIENT_TOKEN, status=403)
    _verify_signature(
        signed,
        session.secret_access_key if session else access_key.secret_access_key(),
        now=now,
    )
    access_key_record_use(
        access_key=access_key, region=signed.region, service=signed.service, at=now
    )
    return Caller(
        access_key=access_key,
        account_keys=account_keys,
        now=now,
        environ=environ,
        session=session,
    )


def _verify_signature(signed: sigv4.SignedRequest, secret: str, *, now: datetime) -> None:
    skew = timedelta(seconds=settings.API_CLOCK_SKEW_SECONDS)
    try:
        sigv4.verify(signed, secret_access_key=secret, now=now, clock_skew=skew)
    except sigv4.SignatureDoesNotMatch as mismatch:
        # A presigned URL's X-Amz-Security-Token may have been added after signing (AWS's
        # post-sts-header-after case), so it is left out of a second try. The token is
        # still bound to the signed key ID, so this opens nothing to a forger. (In the
        # header form an unsigned token header is simply not among SignedHeaders.)
        if not (
            signed.is_presigned
            and signed.session_token is not None
            and mismatch.message == sigv4.MISMATCH_MESSAGE
        ):
            raise
        sigv4.verify(
            signed, secret_access_key=secret, now=now, clock_skew=skew, session_token_signed=False
        )


type Handler = Callable[[Caller, dict[str, str]], Fields | None]
