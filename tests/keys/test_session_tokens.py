"""Temporary credentials: STS GetSessionToken and requests signed with what it answers.

Through the API as an SDK meets it (botocore's signers, the test client); MFA codes from
authenticator apps assigned through the service, computed with pyotp.
"""

import logging
import re
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urlsplit

import pyotp
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.mfa import serial_number
from accounts.mfa.services import mfa_device_create_passkey
from accounts.mfa.totp import STEP_SECONDS
from accounts.models import Event
from keys import session_tokens, sigv4
from keys.api import caller
from keys.api import endpoint as api
from keys.crypto import seal
from keys.exceptions import ExpiredSessionToken, InvalidSessionToken, MfaAttemptsExceeded
from keys.ids import account_id_from_access_key_id
from keys.mfa_attempts import MAX_FAILURES, WINDOW, MfaCodeAttempts
from keys.models import AccessKey
from keys.services import access_key_activate, access_key_deactivate, access_key_delete
from tests.accounts.test_views import sign_in
from tests.conftest import CsrfClient
from tests.factories import PASSWORD, make_access_key, make_totp_device
from tests.keys.test_api import (
    FORM,
    IAM_NS,
    IAM_VERSION,
    STS_NS,
    STS_VERSION,
    assert_error,
    assert_success,
    document,
    send,
    text,
)
from tests.keys.test_sigv4 import CLASSIC, MODERN, SECRET, VECTOR_TIME, ClassicCase, ModernCase

pytestmark = pytest.mark.django_db

EXPIRED = "The security token included in the request is expired"
INVALID = "The security token included in the request is invalid."
MFA_FAILED = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
MFA_CODE_INVALID = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
ASIA = re.compile(r"ASIA[A-Z2-7]{16}")


class ServerClock:
    """The server's clock (keys.api.endpoint's timezone.now), stopped and moved by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch) -> ServerClock:  # type: ignore[no-untyped-def]
    stopped = ServerClock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(api, "timezone", stopped)
    return stopped


class Temporary:
    """Temporary credentials as GetSessionToken answered them."""

    def __init__(self, access_key_id: str, secret: str, token: str, expiration: str) -> None:
        self.access_key_id = access_key_id
        self.secret = secret
        self.token = token
        self.expiration = expiration


def get_session_token_response(client, new_key, *, signed_at=None, meta=None, **params: str):  # type: ignore[no-untyped-def]
    """GetSessionToken signed with ``new_key``'s long-term credentials, answered as it is."""
    return send(
        client,
        key_id=new_key.access_key.access_key_id,
        secret=new_key.secret_access_key,
        service="sts",
        params={"Action": "GetSessionToken", "Version": STS_VERSION, **params},
        signed_at=signed_at,
        **(meta or {}),
    )


def get_session_token(client, new_key, *, signed_at=None, meta=None, **params: str) -> Temporary:  # type: ignore[no-untyped-def]
    response = get_session_token_response(client, new_key, signed_at=signed_at, meta=meta, **params)
    root = assert_success(response, "GetSessionToken", STS_NS)
    credentials = "GetSessionTokenResult/Credentials/"
    return Temporary(
        text(root, credentials + "AccessKeyId") or "",
        text(root, credentials + "SecretAccessKey") or "",
        text(root, credentials + "SessionToken") or "",
        text(root, credentials + "Expiration") or "",
    )


def call_with(client, temporary: Temporary, action: str, *, token: str | None = None, **kw):  # type: ignore[no-untyped-def]
    """One call signed with temporary credentials (``token`` replaces theirs)."""
    sts = action in ("GetCallerIdentity", "GetAccessKeyInfo", "GetSessionToken")
    params = kw.pop("params", {})
    return send(
        client,
        key_id=kw.pop("key_id", temporary.access_key_id),
        secret=kw.pop("secret", temporary.secret),
        session_token=temporary.token if token is None else token,
        service="sts" if sts else "iam",
        params={"Action": action, "Version": STS_VERSION if sts else IAM_VERSION, **params},
        **kw,
    )


def send_token_after_signing(client, temporary: Temporary, *, presigned: bool):  # type: ignore[no-untyped-def]
    """GetCallerIdentity signed without the token, which is added afterwards (AWS's
    post-sts-header-after case): as a header, or appended to a presigned URL."""
    params = percent_encode_sequence({"Action": "GetCallerIdentity", "Version": STS_VERSION})
    credentials = Credentials(temporary.access_key_id, temporary.secret)
    if presigned:
        request = AWSRequest(method="GET", url=f"http://testserver/api/?{params}")
        SigV4QueryAuth(credentials, "sts", "us-east-1", expires=300).add_auth(request)
        target = urlsplit(request.prepare().url)
        token = percent_encode_sequence({"X-Amz-Security-Token": temporary.token})
        return client.get(f"{target.path}?{target.query}&{token}", headers={"Host": "testserver"})
    request = AWSRequest(
        method="POST", url="http://testserver/api/", data=params, headers={"Content-Type": FORM}
    )
    SigV4Auth(credentials, "sts", "us-east-1").add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
    headers.update({"Host": "testserver", "X-Amz-Security-Token": temporary.token})
    return client.post("/api/", data=request.body, content_type=FORM, headers=headers)


def assert_identity(response, alice) -> None:  # type: ignore[no-untyped-def]
    root = assert_success(response, "GetCallerIdentity", STS_NS)
    assert text(root, "GetCallerIdentityResult/Arn") == f"arn:aws:iam::{alice.account_id}:root"
    assert text(root, "GetCallerIdentityResult/Account") == alice.account_id
    assert text(root, "GetCallerIdentityResult/UserId") == alice.account_id


def one_byte_changed(token: str, position: int) -> str:
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1 :]


# ------------------------------------------------------------------- GetSessionToken


def test_get_session_token_answers_credentials_that_sign_as_the_root_user(
    client, alice, alice_key, clock
):
    temporary = get_session_token(client, alice_key, signed_at=clock.at)
    assert ASIA.fullmatch(temporary.access_key_id)
    assert account_id_from_access_key_id(temporary.access_key_id) == alice.account_id
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", temporary.secret)
    assert temporary.secret != alice_key.secret_access_key
    assert temporary.expiration == (clock.at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_identity(call_with(client, temporary, "GetCallerIdentity"), alice)


def test_each_session_gets_its_own_key_id_secret_and_token(client, alice_key):
    first, second = (get_session_token(client, alice_key) for _ in range(2))
    assert first.access_key_id != second.access_key_id
    assert first.secret != second.secret
    assert first.token != second.token


def test_get_access_key_info_names_the_account_of_a_temporary_key(client, alice, alice_key):
    temporary = get_session_token(client, alice_key)
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        service="sts",
        params={
            "Action": "GetAccessKeyInfo",
            "Version": STS_VERSION,
            "AccessKeyId": temporary.access_key_id,
        },
    )
    root = assert_success(response, "GetAccessKeyInfo", STS_NS)
    assert text(root, "GetAccessKeyInfoResult/Account") == alice.account_id


@pytest.mark.parametrize(
    ("asked", "lasts"),
    [("900", 900), ("1800", 1800), ("3600", 3600), ("3601", 3600), ("129600", 3600)],
)
def test_a_root_users_session_lasts_as_asked_up_to_an_hour(client, alice_key, clock, asked, lasts):
    temporary = get_session_token(client, alice_key, signed_at=clock.at, DurationSeconds=asked)
    expected = clock.at + timedelta(seconds=lasts)
    assert temporary.expiration == expected.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("asked", "constraint"),
    [
        ("899", "Member must have value greater than or equal to 900"),
        ("0", "Member must have value greater than or equal to 900"),
        ("-5", "Member must have value greater than or equal to 900"),
        ("129601", "Member must have value less than or equal to 129600"),
        ("an hour", "Member must be an integer"),
    ],
)
def test_a_duration_outside_the_shape_is_a_validation_error(client, alice_key, asked, constraint):
    response = get_session_token_response(client, alice_key, DurationSeconds=asked)
    assert_error(
        response,
        400,
        "ValidationError",
        f"1 validation error detected: Value '{asked}' at 'durationSeconds' failed to "
        f"satisfy constraint: {constraint}",
        ns=STS_NS,
    )
    assert not Event.objects.filter(action=Event.Action.GET_SESSION_TOKEN).exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"SerialNumber": "arn:aws:iam::123456789012:mfa/phone", "TokenCode": "12345"},
            "1 validation error detected: Value '12345' at 'tokenCode' failed to satisfy "
            "constraint: Member must have length greater than or equal to 6",
        ),
        (
            {"SerialNumber": "arn:aws:iam::123456789012:mfa/phone", "TokenCode": "12345a"},
            "1 validation error detected: Value '12345a' at 'tokenCode' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\d]*",
        ),
        (
            {"SerialNumber": "short", "TokenCode": "123456"},
            "1 validation error detected: Value 'short' at 'serialNumber' failed to satisfy "
            "constraint: Member must have length greater than or equal to 9",
        ),
        (
            {"SerialNumber": "arn:aws:iam::1:mfa/a phone", "TokenCode": "123456"},
            "1 validation error detected: Value 'arn:aws:iam::1:mfa/a phone' at "
            "'serialNumber' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [\\w+=/:,.@-]*",
        ),
    ],
)
def test_mfa_parameters_are_validated_in_awss_shapes(client, alice_key, params, message):
    response = get_session_token_response(client, alice_key, **params)
    assert_error(response, 400, "ValidationError", message, ns=STS_NS)


@pytest.mark.parametrize(
    "params",
    [
        {"SerialNumber": "arn:aws:iam::123456789012:mfa/phone", "TokenCode": "123456"},
        {"TokenCode": "123456"},
        {"SerialNumber": "arn:aws:iam::123456789012:mfa/phone"},
    ],
)
def test_an_mfa_code_that_cannot_be_validated_is_access_denied(client, alice, alice_key, params):
    response = get_session_token_response(client, alice_key, **params)
    assert_error(response, 403, "AccessDenied", MFA_FAILED, ns=STS_NS)
    assert not Event.objects.filter(action=Event.Action.GET_SESSION_TOKEN).exists()


# ------------------------------------------------------------------------------ MFA


def code_at(secret: str, moment: datetime, steps: int = 0) -> str:
    """The authenticator app's code at ``moment``, ``steps`` time steps away."""
    return pyotp.TOTP(secret).at(moment + timedelta(seconds=STEP_SECONDS * steps))


@pytest.fixture
def phone(alice):  # type: ignore[no-untyped-def]
    """Alice's authenticator app: its serial number and seed."""
    device, secret = make_totp_device(alice, name="phone")
    return serial_number(device), secret


def test_a_fresh_code_makes_a_session_that_may_call_iam(client, alice, alice_key, clock, phone):
    serial, secret = phone
    temporary = get_session_token(
        client,
        alice_key,
        signed_at=clock.at,
        SerialNumber=serial,
        TokenCode=code_at(secret, clock.at),
    )
    listed = assert_success(call_with(client, temporary, "ListAccessKeys"), "ListAccessKeys")
    ids = [e.text for e in listed.iter(f"{{{IAM_NS}}}AccessKeyId")]
    assert ids == [alice_key.access_key.access_key_id]
    assert_success(call_with(client, temporary, "CreateAccessKey"), "CreateAccessKey")
    assert AccessKey.objects.filter(owner=alice).count() == 2
    assert Event.objects.filter(action=Event.Action.GET_SESSION_TOKEN).count() == 1


@pytest.mark.parametrize("steps", [-1, 1])
def test_one_step_of_clock_drift_is_allowed(client, alice_key, clock, phone, steps):
    serial, secret = phone
    temporary = get_session_token(
        client,
        alice_key,
        signed_at=clock.at,
        SerialNumber=serial,
        TokenCode=code_at(secret, clock.at, steps),
    )
    assert_success(call_with(client, temporary, "ListAccessKeys"), "ListAccessKeys")


@pytest.mark.parametrize("steps", [-2, 2])
def test_a_code_two_steps_away_is_invalid(client, alice_key, clock, phone, steps):
    serial, secret = phone
    response = get_session_token_response(
        client,
        alice_key,
        signed_at=clock.at,
        SerialNumber=serial,
        TokenCode=code_at(secret, clock.at, steps),
    )
    assert_error(response, 403, "AccessDenied", MFA_CODE_INVALID, ns=STS_NS)


def test_a_wrong_code_is_an_invalid_one_time_pass_code(client, alice, alice_key, clock, phone):
    serial, secret = phone
    right = code_at(secret, clock.at)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = get_session_token_response(
        client, alice_key, signed_at=clock.at, SerialNumber=serial, TokenCode=wrong
    )
    assert_error(response, 403, "AccessDenied", MFA_CODE_INVALID, ns=STS_NS)
    assert not Event.objects.filter(action=Event.Action.GET_SESSION_TOKEN).exists()


def test_a_code_is_accepted_once(client, alice_key, clock, phone):
    serial, secret = phone
    params = {"SerialNumber": serial, "TokenCode": code_at(secret, clock.at)}
    get_session_token(client, alice_key, signed_at=clock.at, **params)
    replayed = get_session_token_response(client, alice_key, signed_at=clock.at, **params)
    assert_error(replayed, 403, "AccessDenied", MFA_CODE_INVALID, ns=STS_NS)
    # An older step is as used as this one: single use moves forward only.
    older = {**params, "TokenCode": code_at(secret, clock.at, -1)}
    replayed = get_session_token_response(client, alice_key, signed_at=clock.at, **older)
    assert_error(replayed, 403, "AccessDenied", MFA_CODE_INVALID, ns=STS_NS)


def test_a_code_used_to_sign_in_is_refused(client, alice, alice_key, clock, phone):
    serial, secret = phone
    code = code_at(secret, clock.at)
    signing_in = CsrfClient()
    sign_in(signing_in, alice.email, PASSWORD)
    signed_in = signing_in.post("/signin/mfa", {"code": code})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/iam/home"
    response = get_session_token_response(
        client, alice_key, signed_at=clock.at, SerialNumber=serial, TokenCode=code
    )
    assert_error(response, 403, "AccessDenied", MFA_CODE_INVALID, ns=STS_NS)


def test_a_serial_number_that_is_not_this_users_authenticator_app_cannot_be_validated(
    client, alice, alice_key, mallory, clock, phone
):
    _, secret = phone
    theirs, their_secret = make_totp_device(mallory, name="phone")
    passkey = mfa_device_create_passkey(
        owner=alice, name="key", credential_id="Y3JlZA", public_key=b"k", sign_count=0
    )
    for serial, seed in (
        (serial_number(theirs), their_secret),  # another account's app, its own right code
        (serial_number(passkey), secret),  # a passkey: no codes for GetSessionToken
        (f"arn:aws:iam::{alice.account_id}:mfa/tablet", secret),  # no such device
    ):
        response = get_session_token_response(
            client,
            alice_key,
            signed_at=clock.at,
            SerialNumber=serial,
            TokenCode=code_at(seed, clock.at),
        )
        assert_error(response, 403, "AccessDenied", MFA_FAILED, ns=STS_NS)
    assert not MfaCodeAttempts.objects.exists()  # nothing to guess: nothing counted
    assert not Event.objects.filter(action=Event.Action.GET_SESSION_TOKEN).exists()


def test_wrong_codes_are_limited_per_account_then_allowed_again(
    client, alice_key, mallory_key, clock, phone
):
    serial, secret = phone
    right = code_at(secret, clock.at)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(MAX_FAILURES):
        response = get_session_token_response(
            client, alice_key, signed_at=clock.at, SerialNumber=serial, TokenCode=wrong
        )
        assert_error(response, 403, "AccessDenied", MFA_CODE_INVALID, ns=STS_NS)
    # Even the right code is not checked now: another guess must tell the guesser nothing.
    until = (clock.at + WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = get_session_token_response(
        client, alice_key, signed_at=clock.at, SerialNumber=serial, TokenCode=right
    )
    assert_error(refused, 403, "AccessDenied", str(MfaAttemptsExceeded(until)), ns=STS_NS)
    assert until in str(MfaAttemptsExceeded(until))
    # Another account is not held back; nor is Alice without MFA.
    their_serial = serial_number(make_totp_device(mallory_key.access_key.owner)[0])
    other = get_session_token_response(
        client, mallory_key, signed_at=clock.at, SerialNumber=their_serial, TokenCode=wrong
    )
    assert_error(other, 403, "AccessDenied", MFA_CODE_INVALID, ns=STS_NS)
    get_session_token(client, alice_key, signed_at=clock.at)

    clock.at += WINDOW
    temporary = get_session_token(
        client,
        alice_key,
        signed_at=clock.at,
        SerialNumber=serial,
        TokenCode=code_at(secret, clock.at),
    )
    assert_success(call_with(client, temporary, "ListAccessKeys"), "ListAccessKeys")


def test_a_right_code_starts_the_count_again(client, alice_key, clock, phone):
    serial, secret = phone
    wrong = f"{(int(code_at(secret, clock.at)) + 1) % 1_000_000:06d}"
    for attempt in range(3):
        for _ in range(MAX_FAILURES - 1):
            response = get_session_token_response(
                client, alice_key, signed_at=clock.at, SerialNumber=serial, TokenCode=wrong
            )
            assert_error(response, 403, "AccessDenied", MFA_CODE_INVALID, ns=STS_NS)
        get_session_token(
            client,
            alice_key,
            signed_at=clock.at,
            SerialNumber=serial,
            TokenCode=code_at(secret, clock.at, attempt - 1),
        )


def test_get_session_token_enters_the_event_history_without_secrets(client, alice, alice_key):
    temporary = get_session_token(client, alice_key, meta={"HTTP_USER_AGENT": "aws-cli/2 test"})
    event = Event.objects.get(action=Event.Action.GET_SESSION_TOKEN)
    assert event.account == alice
    assert event.channel == Event.Channel.API
    assert event.access_key_id == alice_key.access_key.access_key_id
    assert event.user_agent == "aws-cli/2 test"
    stored = repr([getattr(event, f.attname) for f in Event._meta.fields])
    for secret in (temporary.secret, temporary.token, temporary.access_key_id):
        assert secret not in stored


def test_the_token_holds_no_readable_secret(client, alice_key):
    temporary = get_session_token(client, alice_key)
    assert temporary.secret not in temporary.token
    assert alice_key.access_key.access_key_id not in temporary.token
    assert len(temporary.token) < session_tokens.MAX_TOKEN_LENGTH


# ------------------------------------------------------------- signing with a session


@pytest.mark.parametrize("presigned", [False, True])
def test_the_token_may_be_signed(client, alice, alice_key, presigned):
    temporary = get_session_token(client, alice_key)
    response = call_with(
        client,
        temporary,
        "GetCallerIdentity",
        method="GET" if presigned else "POST",
        presign_expires=300 if presigned else None,
    )
    assert_identity(response, alice)


@pytest.mark.parametrize("presigned", [False, True])
def test_the_token_may_be_added_after_signing(client, alice, alice_key, presigned):
    temporary = get_session_token(client, alice_key)
    assert_identity(send_token_after_signing(client, temporary, presigned=presigned), alice)


def _post_sts_vectors() -> list:
    cases = [
        pytest.param(ClassicCase.load(CLASSIC / "post-sts-token" / name).signed, id=name)
        for name in ("post-sts-header-before", "post-sts-header-after")
    ]
    for name in ("post-sts-header-before", "post-sts-header-after"):
        for form in ("header", "query"):
            case = ModernCase.load(MODERN / name, form)
            cases.append(pytest.param(case.signed, id=f"{name}-{form}"))
    return cases


@pytest.mark.parametrize("signed", _post_sts_vectors())
def test_every_post_sts_token_vector_verifies_without_being_told_how_it_was_signed(
    signed, settings
):
    """The API decides by itself whether the token was signed: AWS's vectors, with their
    secret and time, pass its signature check as they come."""
    request = signed.parse()
    assert request.session_token
    caller._verify_signature(request, SECRET, now=VECTOR_TIME)
    with pytest.raises(sigv4.SignatureDoesNotMatch):
        caller._verify_signature(request, "w" * 40, now=VECTOR_TIME)


def test_a_wrong_session_secret_does_not_match(client, alice_key):
    temporary = get_session_token(client, alice_key)
    response = call_with(client, temporary, "GetCallerIdentity", secret=alice_key.secret_access_key)
    assert_error(response, 403, "SignatureDoesNotMatch", ns=STS_NS)


def test_a_use_is_recorded_as_the_parent_keys_last_use(client, alice_key):
    temporary = get_session_token(client, alice_key)
    call_with(client, temporary, "GetCallerIdentity", region="eu-central-1")
    parent = AccessKey.objects.get(pk=alice_key.access_key.access_key_id)
    assert parent.last_used_region == "eu-central-1"
    assert parent.last_used_service == "sts"
    assert parent.last_used_at is not None


# ---------------------------------------------------------------------- expiry


def test_a_session_works_until_its_last_second_and_then_is_expired(client, alice, alice_key, clock):
    issued = clock.at
    temporary = get_session_token(client, alice_key, signed_at=issued, DurationSeconds="900")
    clock.at = issued + timedelta(seconds=899)
    assert_identity(call_with(client, temporary, "GetCallerIdentity", signed_at=clock.at), alice)
    for later in (900, 901, 3600):
        clock.at = issued + timedelta(seconds=later)
        response = call_with(client, temporary, "GetCallerIdentity", signed_at=clock.at)
        assert_error(response, 403, "ExpiredToken", EXPIRED, ns=STS_NS)


def test_an_expired_session_is_refused_without_a_query(
    client, alice_key, clock, django_assert_num_queries
):
    temporary = get_session_token(client, alice_key, signed_at=clock.at, DurationSeconds="900")
    clock.at += timedelta(seconds=900)
    with django_assert_num_queries(0):
        response = call_with(client, temporary, "GetCallerIdentity", signed_at=clock.at)
    assert_error(response, 403, "ExpiredToken", EXPIRED, ns=STS_NS)


# ------------------------------------------------------- tokens that are not valid


@pytest.mark.parametrize("position", [0, 1, 5, 40, 100, -30, -2])
def test_a_token_with_one_byte_changed_is_invalid(client, alice_key, position):
    temporary = get_session_token(client, alice_key)
    altered = one_byte_changed(temporary.token, position)
    response = call_with(client, temporary, "GetCallerIdentity", token=altered)
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)


def test_a_temporary_key_id_without_its_token_is_invalid(client, alice_key):
    temporary = get_session_token(client, alice_key)
    response = send(
        client,
        key_id=temporary.access_key_id,
        secret=temporary.secret,
        service="sts",
        params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
    )
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)


def test_a_token_with_another_sessions_key_id_is_invalid(client, alice_key):
    first, second = (get_session_token(client, alice_key) for _ in range(2))
    response = call_with(client, first, "GetCallerIdentity", token=second.token)
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)


def test_a_token_moved_to_another_accounts_key_is_invalid(client, alice_key, mallory_key):
    alices = get_session_token(client, alice_key)
    mallorys = get_session_token(client, mallory_key)
    # Alice's token under Mallory's temporary key, and under Mallory's long-term key.
    moved = call_with(client, mallorys, "GetCallerIdentity", token=alices.token)
    assert_error(moved, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)
    on_long_term = call_with(
        client,
        alices,
        "GetCallerIdentity",
        key_id=mallory_key.access_key.access_key_id,
        secret=mallory_key.secret_access_key,
    )
    assert_error(on_long_term, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)


def test_a_token_sealed_with_another_servers_keys_is_invalid(client, alice_key, settings):
    temporary = get_session_token(client, alice_key)
    settings.KEYS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    response = call_with(client, temporary, "GetCallerIdentity")
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)


def test_a_forged_token_for_a_real_key_id_is_invalid(client, alice_key):
    """A token that names Alice's key but was not sealed by the server: Fernet under a key
    of the forger's own, with the same layout."""
    temporary = get_session_token(client, alice_key)
    forged = Fernet(Fernet.generate_key()).encrypt(b"\x01" * 90).decode()
    response = call_with(client, temporary, "GetCallerIdentity", token=forged)
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)


def test_a_sealed_payload_of_another_shape_is_invalid(alice_key):
    now = datetime.now(UTC)
    for payload in (b"", b"\x01" * 89, b"\x02" + b"\x00" * 89):
        with pytest.raises(InvalidSessionToken):
            session_tokens.session_token_open(
                seal(payload), access_key_id="ASIA" + "A" * 16, service="sts", now=now
            )


def test_tokens_survive_a_key_rollover_until_the_old_key_is_removed(client, alice, alice_key):
    """MultiFernet opens a token with any listed key: a token sealed before a new key was
    put in front keeps working until the old key leaves KEYS_ENCRYPTION_KEYS. (A session
    never needs its parent key's secret, so rotate_encryption_keys plays no part.)"""
    temporary = get_session_token(client, alice_key)
    old_keys = list(django_settings.KEYS_ENCRYPTION_KEYS)
    newest = Fernet.generate_key().decode()
    with override_settings(KEYS_ENCRYPTION_KEYS=[newest, *old_keys]):
        assert_identity(call_with(client, temporary, "GetCallerIdentity"), alice)
        sealed_after_rollover = get_session_token(client, alice_key)
    with override_settings(KEYS_ENCRYPTION_KEYS=[newest]):
        response = call_with(client, temporary, "GetCallerIdentity")
        assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)
        assert_identity(call_with(client, sealed_after_rollover, "GetCallerIdentity"), alice)


# ------------------------------------------------------------------- revocation


def test_a_session_stops_when_its_key_is_made_inactive_and_works_again_when_active(
    client, alice, alice_key
):
    temporary = get_session_token(client, alice_key)
    access_key_deactivate(access_key=alice_key.access_key)
    response = call_with(client, temporary, "GetCallerIdentity")
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)
    access_key_activate(access_key=alice_key.access_key)
    assert_identity(call_with(client, temporary, "GetCallerIdentity"), alice)


def test_a_session_ends_for_good_when_its_key_is_deleted(client, alice, alice_key):
    temporary = get_session_token(client, alice_key)
    other = make_access_key(alice)  # the account still has a working key
    access_key_delete(access_key=alice_key.access_key)
    response = call_with(client, temporary, "GetCallerIdentity")
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)
    assert_success(
        send(
            client,
            key_id=other.access_key.access_key_id,
            secret=other.secret_access_key,
            service="sts",
            params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
        ),
        "GetCallerIdentity",
        STS_NS,
    )


def test_a_session_stops_when_its_root_user_is_deactivated(client, alice, alice_key):
    temporary = get_session_token(client, alice_key)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    response = call_with(client, temporary, "GetCallerIdentity")
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=STS_NS)


# ---------------------------------------------------------- what a session may call


@pytest.mark.parametrize("action", ["ListAccessKeys", "CreateAccessKey", "GetAccountSummary"])
def test_a_session_without_mfa_cannot_call_iam(client, alice, alice_key, action):
    temporary = get_session_token(client, alice_key)
    response = call_with(client, temporary, action)
    assert_error(response, 403, "InvalidClientTokenId", INVALID, ns=IAM_NS)
    assert AccessKey.objects.filter(owner=alice).count() == 1


@pytest.mark.parametrize("action", ["GetSessionToken", "GetAccessKeyInfo"])
def test_of_sts_a_session_may_call_get_caller_identity_only(client, alice_key, action):
    temporary = get_session_token(client, alice_key)
    params = {"AccessKeyId": temporary.access_key_id} if action == "GetAccessKeyInfo" else {}
    response = call_with(client, temporary, action, params=params)
    assert_error(
        response, 403, "AccessDenied", f"Cannot call {action} with session credentials", ns=STS_NS
    )
    assert Event.objects.filter(action=Event.Action.GET_SESSION_TOKEN).count() == 1


# ------------------------------------------------------------------- query budget


def test_a_session_signed_call_costs_one_read_and_at_most_one_write(
    client, alice, alice_key, clock, django_assert_max_num_queries, django_assert_num_queries
):
    make_access_key(alice)
    temporary = get_session_token(client, alice_key, signed_at=clock.at)
    clock.at += timedelta(minutes=1)  # a new minute: the last use needs a write again
    with django_assert_max_num_queries(2):  # the parent key's read, its last-use write
        response = call_with(client, temporary, "GetCallerIdentity", signed_at=clock.at)
    assert_identity(response, alice)
    with django_assert_num_queries(1):  # same minute: the read alone
        response = call_with(client, temporary, "GetCallerIdentity", signed_at=clock.at)
    assert_identity(response, alice)


def test_refusing_a_session_costs_no_more_than_the_read(
    client, alice_key, django_assert_max_num_queries
):
    temporary = get_session_token(client, alice_key)
    with django_assert_max_num_queries(0):
        call_with(client, temporary, "GetCallerIdentity", token=temporary.token[:-4] + "AAAA")
        call_with(client, temporary, "ListAccessKeys")  # IAM without MFA
    with django_assert_max_num_queries(1):
        call_with(client, temporary, "GetCallerIdentity", secret="w" * 40)


# ----------------------------------------------------------------------- properties


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    header=st.text(max_size=300)
    | st.binary(max_size=300).map(lambda raw: raw.decode("latin-1"))
    | st.from_regex(r"[A-Za-z0-9_=-]{0,2000}", fullmatch=True),
    flip=st.integers(min_value=0, max_value=10_000),
    presigned=st.booleans(),
)
@example(header="", flip=0, presigned=False)
@example(header="gAAAAA", flip=0, presigned=True)
def test_any_token_header_gets_aws_xml_never_a_500(client, alice_key, header, flip, presigned):
    temporary = get_session_token(client, alice_key)
    # Sometimes the real token with one character changed, sometimes anything at all.
    token = one_byte_changed(temporary.token, flip % len(temporary.token)) if flip % 3 else header
    token = token.replace("\r", "").replace("\n", "").replace("\x00", "")
    try:
        response = call_with(
            client,
            temporary,
            "GetCallerIdentity",
            token=token,
            method="GET" if presigned else "POST",
            presign_expires=300 if presigned else None,
        )
    except (ValueError, UnicodeEncodeError):
        return  # a header value no HTTP client could send
    assert response.status_code in (400, 403), response.content
    root = document(response)
    assert root.tag == f"{{{STS_NS}}}ErrorResponse"
    assert text(root, "Error/Code") in (
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
    )


def test_opening_rejects_every_string_that_is_not_a_token(alice_key):
    now = datetime.now(UTC)
    for token in ("", "x" * 5000, "\udcff" * 10, "gAAAAA" + "=" * 50, "é" * 100):
        with pytest.raises(InvalidSessionToken):
            session_tokens.session_token_open(
                token, access_key_id="ASIA" + "A" * 16, service="sts", now=now
            )


def test_opening_an_expired_token_says_expired(alice_key):
    now = datetime.now(UTC)
    made = session_tokens.session_token_create(
        access_key=alice_key.access_key, duration_seconds=900, mfa_authenticated=False, now=now
    )
    with pytest.raises(ExpiredSessionToken):
        session_tokens.session_token_open(
            made.session_token,
            access_key_id=made.session.access_key_id,
            service="sts",
            now=now + timedelta(seconds=900),
        )


# ------------------------------------------------------------------------- logging


def test_no_session_secret_or_token_ever_reaches_the_logs(client, alice, alice_key, caplog):
    connection.force_debug_cursor = True  # log every SQL statement and its parameters
    try:
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django"):
            temporary = get_session_token(client, alice_key)
            call_with(client, temporary, "GetCallerIdentity")
            call_with(client, temporary, "ListAccessKeys")
            call_with(client, temporary, "GetSessionToken")
            call_with(client, temporary, "GetCallerIdentity", secret="w" * 40)
            send_token_after_signing(client, temporary, presigned=True)
            failing = mock.Mock(side_effect=RuntimeError("boom"))
            with mock.patch.dict(api.OPERATIONS, {("sts", "GetCallerIdentity"): failing}):
                assert call_with(client, temporary, "GetCallerIdentity").status_code == 500
    finally:
        connection.force_debug_cursor = False
    # The server's records only: botocore, signing in this same process, logs the token
    # in its own canonical request (the client's logs, not the server's).
    records = [r for r in caplog.records if not r.name.startswith("botocore")]
    assert any(record.name == "django.db.backends" for record in records)
    assert any(record.levelno >= logging.ERROR for record in records)
    logged = "".join(caplog.handler.format(r) + repr(r.args) for r in records)
    for secret in (temporary.secret, temporary.token, alice_key.secret_access_key):
        assert secret not in logged
    assert repr(temporary.secret) not in logged
