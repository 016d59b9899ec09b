"""STS's actions: who is calling, temporary credentials, the account of a key ID."""

from ..ids import account_id_from_access_key_id
from ..session_tokens import (
    MAX_DURATION_SECONDS,
    MIN_DURATION_SECONDS,
    ROOT_MAX_DURATION_SECONDS,
    mfa_check,
    session_token_create,
)
from .caller import Caller, Handler
from .protocol import ApiError, Validation, access_key_id_of
from .xml import Fields, iso8601


def get_caller_identity(caller: Caller, params: dict[str, str]) -> Fields:
    owner = caller.owner
    return [("Arn", owner.arn), ("UserId", owner.account_id), ("Account", owner.account_id)]


def get_session_token(caller: Caller, params: dict[str, str]) -> Fields:
    """Temporary credentials for the root user who signed with a long-term key. (A session
    asking for another is refused before this runs: session_check_action.)"""
    check = Validation(params)
    duration = check.integer(
        "DurationSeconds", minimum=MIN_DURATION_SECONDS, maximum=MAX_DURATION_SECONDS
    )
    serial_number = check.string(
        "SerialNumber", min_length=9, max_length=256, pattern=r"[\w+=/:,.@-]*"
    )
    token_code = check.string("TokenCode", min_length=6, max_length=6, pattern=r"[\d]*")
    check.check()
    now = caller.now
    mfa_authenticated = mfa_check(
        owner=caller.owner, serial_number=serial_number, token_code=token_code, now=now
    )
    new_session = session_token_create(
        access_key=caller.access_key,
        duration_seconds=ROOT_MAX_DURATION_SECONDS if duration is None else duration,
        mfa_authenticated=mfa_authenticated,
        now=now,
        context=caller.context,
    )
    session = new_session.session
    return [
        (
            "Credentials",
            [
                ("AccessKeyId", session.access_key_id),
                ("SecretAccessKey", session.secret_access_key),
                ("SessionToken", new_session.session_token),
                ("Expiration", iso8601(session.expires_at)),
            ],
        )
    ]


def get_access_key_info(caller: Caller, params: dict[str, str]) -> Fields:
    check = Validation(params)
    access_key_id = access_key_id_of(check, pattern=r"[\w]*")
    check.check()
    try:
        account_id = account_id_from_access_key_id(access_key_id or "")
    except ValueError:
        raise ApiError(
            "ValidationError",
            f"1 validation error detected: Value '{access_key_id}' at 'accessKeyId' failed to "
            "satisfy constraint: Member must be an access key ID (AKIA or ASIA and 16 "
            "characters of A-Z and 2-7)",
        ) from None
    return [("Account", account_id)]


ACTIONS: dict[str, Handler] = {
    "GetCallerIdentity": get_caller_identity,
    "GetAccessKeyInfo": get_access_key_info,
    "GetSessionToken": get_session_token,
}
