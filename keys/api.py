"""The AWS Query API at ``/api``: IAM and STS for the root user who owns the signing key.

A request, top to bottom: read the parameters (form POST body over the query string), parse
the SigV4 data (no secret needed), load the key with its owner (and the owner's other key) in
one query, verify the signature with the key's secret, record the use (at most one UPDATE,
and before the action, so that GetAccessKeyLastUsed sees its own call as at AWS), run the
action through keys.services, answer AWS XML (rendered by keys.api_xml). Temporary
credentials (GetSessionToken's) take the same path: their token opens without the database
(keys.session_tokens) and names the parent key, which is the one read.

Every failure is answered as AWS answers it: SigV4 and domain errors become AWS errors in one
place (:func:`_aws_error`); a database outage is a 503 ``ServiceUnavailable`` that SDKs
retry; anything else unexpected is a logged ``ServiceFailure`` / ``InternalFailure`` 500 in
XML, never Django's HTML. The endpoint is signed, not cookie-authenticated: no session, no
CSRF (keys/api_wsgi.py serves it outside the console's middleware).
"""

import base64
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import get_path_info, get_script_name
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from accounts.events import Channel, EventContext
from accounts.mfa import serial_number
from accounts.mfa.lookup import devices_of
from accounts.models import MFADevice, RootUser

from . import api_xml, sigv4
from .api_xml import Fields, iso8601
from .credential_report import (
    REPORT_FORMAT,
    ReportState,
    credential_report_generate,
    credential_report_get,
)
from .exceptions import (
    INVALID_CLIENT_TOKEN,
    AccessKeyNotFound,
    CredentialReportError,
    CredentialReportExpired,
    CredentialReportInProgress,
    CredentialReportNotPresent,
    ExpiredSessionToken,
    InvalidSessionToken,
    KeyLimitExceeded,
    MfaFailed,
    SessionActionRefused,
)
from .ids import (
    ACCESS_KEY_ID_PATTERN,
    TEMPORARY_ACCESS_KEY_ID_PATTERN,
    account_id_from_access_key_id,
)
from .lookup import AccountKeys, account_keys_of
from .models import ACCESS_KEYS_PER_USER, AccessKey, owned_key
from .services import (
    access_key_activate,
    access_key_create,
    access_key_deactivate,
    access_key_delete,
    access_key_record_use,
)
from .session_tokens import (
    MAX_DURATION_SECONDS,
    MIN_DURATION_SECONDS,
    ROOT_MAX_DURATION_SECONDS,
    Session,
    mfa_check,
    session_check_action,
    session_token_create,
    session_token_open,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    name: str  # as in the SigV4 credential scope
    version: str
    namespace: str
    internal_error: str  # IAM calls its 500 ServiceFailure, STS InternalFailure


IAM = Service("iam", "2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/", "ServiceFailure")
STS = Service("sts", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/", "InternalFailure")
SERVICES = {service.name: service for service in (IAM, STS)}

UNAVAILABLE = "Service is unable to handle request."
MALFORMED_QUERY = "The request parameters could not be parsed."
ALLOWED_METHODS = ("GET", "POST")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"  # what every AWS SDK sends
INTERNAL_ERROR = (
    "The request processing has failed because of an unknown error, exception or failure."
)
# What a real SDK puts in the scope ("us-east-1", "eu-central-1", a custom "local"): also
# what fits the last-used column, so a crafted scope can never fail the write.
REGION_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9/_.~-]*")  # what quote(path, safe="/~") keeps as is


class ApiError(Exception):
    """An answer in AWS's words: raised anywhere below, rendered once in :func:`answer`."""

    def __init__(self, code: str, message: str, *, status: int = 400, fault: str = "Sender"):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fault = fault


def _aws_error(error: Exception) -> ApiError:
    """The one place where SigV4 and access-key domain errors are worded as AWS words them."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, sigv4.SigV4Error):
        return ApiError(error.code, error.message, status=error.http_status)
    if isinstance(error, KeyLimitExceeded):
        return ApiError("LimitExceeded", str(error), status=409)
    if isinstance(error, AccessKeyNotFound):
        return ApiError("NoSuchEntity", str(error), status=404)
    if isinstance(error, CredentialReportError):
        code, status = _REPORT_ERRORS[type(error)]
        return ApiError(code, str(error), status=status)
    if isinstance(error, InvalidSessionToken):
        return ApiError("InvalidClientTokenId", str(error), status=403)
    if isinstance(error, ExpiredSessionToken):
        return ApiError("ExpiredToken", str(error), status=403)
    if isinstance(error, (SessionActionRefused, MfaFailed)):
        return ApiError("AccessDenied", str(error), status=403)
    raise TypeError(f"Not an API error: {type(error).__name__}")


# The codes and statuses in botocore's IAM model, from which boto3 makes its exceptions
# (CredentialReportNotPresentException, …Expired…, …NotReady…).
_REPORT_ERRORS: dict[type[CredentialReportError], tuple[str, int]] = {
    CredentialReportNotPresent: ("ReportNotPresent", 410),
    CredentialReportExpired: ("ReportExpired", 410),
    CredentialReportInProgress: ("ReportInProgress", 404),
}
_ANSWERED = (
    ApiError,
    sigv4.SigV4Error,
    KeyLimitExceeded,
    AccessKeyNotFound,
    CredentialReportError,
    InvalidSessionToken,
    ExpiredSessionToken,
    SessionActionRefused,
    MfaFailed,
)


# ----------------------------------------------------------------------------- the answer


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """An answer, as keys/api_wsgi.py sends it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def answer(
    environ: Mapping[str, Any], read_body: Callable[[], bytes], request_id: str
) -> ApiResponse:
    """Answer one API request given its WSGI environ (``request.META`` under Django) and a
    way to read its body (raising RequestDataTooBig past DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    service = IAM  # until the request says otherwise: unsigned errors speak IAM
    try:
        method = environ.get("REQUEST_METHOD") or "GET"
        if method not in ALLOWED_METHODS:
            raise ApiError(
                "MethodNotAllowed",
                f"The HTTP method {method} is not allowed; the Query API takes GET and POST.",
                status=405,
            )
        body = _bounded_body(read_body)
        params = _read_params(environ, body)
        if params.get("Version") == STS.version:
            service = STS
        signed = sigv4.parse_request(
            method=method,
            path=_raw_path(environ),
            query_string=environ.get("QUERY_STRING", ""),
            headers=_headers(environ),
            body=body,
        )
        service = _service_for(signed)
        caller = _authenticate(
            signed,
            now=timezone.now(),
            environ=environ,
        )
        action, handler = _operation(service, params)
        if caller.session is not None:
            session_check_action(caller.session, service=service.name, action=action)
        result = handler(caller, params)
        body = api_xml.success(
            action=action, namespace=service.namespace, request_id=request_id, result=result
        )
        return _xml(body, status=200, request_id=request_id)
    except _ANSWERED as error:
        response = _error(_aws_error(error), service, request_id)
        if response.status == 405:
            response.headers.append(("Allow", ", ".join(ALLOWED_METHODS)))
        return response
    except (OperationalError, InterfaceError):
        # The database is away (down, or locked for too long): a 503 that SDKs retry.
        logger.exception("API request %s: database unavailable", request_id)
        return service_failure(request_id, unavailable=True, service=service)
    except Exception:
        # Only the request ID and the traceback: never parameters, headers or secrets.
        logger.exception("API request %s failed unexpectedly", request_id)
        return service_failure(request_id, unavailable=False, service=service)


def service_failure(request_id: str, *, unavailable: bool, service: Service = IAM) -> ApiResponse:
    """AWS's answer to a failure on the service's side: ServiceUnavailable 503 (which SDKs
    retry) for a database outage, else the service's own 500."""
    if unavailable:
        outage = ApiError("ServiceUnavailable", UNAVAILABLE, status=503, fault="Receiver")
        response = _error(outage, service, request_id)
        response.headers.append(("Retry-After", "5"))
        return response
    failure = ApiError(service.internal_error, INTERNAL_ERROR, status=500, fault="Receiver")
    return _error(failure, service, request_id)


def _xml(body: bytes, *, status: int, request_id: str) -> ApiResponse:
    return ApiResponse(
        status,
        [
            ("Content-Type", "text/xml"),
            ("x-amzn-RequestId", request_id),
            # CreateAccessKey carries a secret; no API answer is worth caching anyway.
            ("Cache-Control", "no-store"),
            # As AWS does; without it the lean application's answer would go out chunked.
            ("Content-Length", str(len(body))),
        ],
        body,
    )


def _error(error: ApiError, service: Service, request_id: str) -> ApiResponse:
    body = api_xml.error(
        namespace=service.namespace,
        request_id=request_id,
        code=error.code,
        message=error.message,
        fault=error.fault,
    )
    return _xml(body, status=error.status, request_id=request_id)


# ------------------------------------------------------------------ request and caller


def _bounded_body(read_body: Callable[[], bytes]) -> bytes:
    try:
        return read_body()
    except RequestDataTooBig:
        raise ApiError(
            "RequestEntityTooLarge", "The request body is too large.", status=413
        ) from None


def _read_params(environ: Mapping[str, Any], body: bytes) -> dict[str, str]:
    """AWS Query parameters: the query string, then a form body over it (last value wins).
    Parsed as Django's QueryDict parses them (request.GET, request.POST), without building
    one: UTF-8 (Latin-1 if that fails), blank values kept, at most
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields each."""
    params = _form(environ.get("QUERY_STRING", "").encode("iso-8859-1"))
    content_type = environ.get("CONTENT_TYPE", "")
    if body and content_type.partition(";")[0].strip().lower() == FORM_CONTENT_TYPE:
        params.update(_form(body))
    return params


def _form(raw: bytes) -> dict[str, str]:
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if "%" not in text and "+" not in text:
        # Nothing to decode (an SDK's usual body): parse_qsl's split, without its unquoting.
        if limit is not None and text.count("&") + 1 > limit:
            raise ApiError("MalformedQueryString", MALFORMED_QUERY)
        return dict(piece.partition("=")[::2] for piece in text.split("&") if piece)
    try:
        return dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8", max_num_fields=limit))
    except ValueError:
        raise ApiError("MalformedQueryString", MALFORMED_QUERY) from None


def _raw_path(environ: Mapping[str, Any]) -> str:
    """The path as the client sent and signed it, still percent-encoded."""
    raw_uri = environ.get("RAW_URI")  # gunicorn's request target, untouched
    if raw_uri:
        if raw_uri.startswith("/") and "?" not in raw_uri and "#" not in raw_uri:
            return raw_uri  # origin-form without a query: the path itself, as urlsplit finds
        return urlsplit(raw_uri).path or "/"
    path = get_script_name(environ) + get_path_info(environ)
    return path if _UNRESERVED_PATH.fullmatch(path) else quote(path, safe="/~")


def _headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").lower(), value))
    return headers


def _service_for(signed: sigv4.SignedRequest) -> Service:
    service = SERVICES.get(signed.service)
    if service is None:
        raise sigv4.SignatureDoesNotMatch(
            f"Credential should be scoped to correct service: '{IAM.name}'. "
        )
    if not REGION_PATTERN.fullmatch(signed.region):
        raise sigv4.SignatureDoesNotMatch(
            f"Credential should be scoped to a valid region, not '{signed.region[:64]}'. "
        )
    return service


@dataclass
class Caller:
    """The verified root user behind a request: the key that signed it (for temporary
    credentials, the long-term key that made them) and all the account's keys (at most
    two), read together; and the session, when temporary credentials signed it."""

    access_key: AccessKey
    account_keys: AccountKeys
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


def _authenticate(
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
        access_key=access_key, account_keys=account_keys, environ=environ, session=session
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


# ------------------------------------------------------------------------- dispatching

type Handler = Callable[[Caller, dict[str, str]], Fields | None]


def _operation(service: Service, params: dict[str, str]) -> tuple[str, Handler]:
    action = params.get("Action")
    if not action:
        raise ApiError("MissingAction", "Missing Action")
    version = params.get("Version") or "NO_VERSION_SPECIFIED"
    handler = OPERATIONS.get((service.name, action)) if version == service.version else None
    if handler is None:
        raise ApiError("InvalidAction", f"Could not find operation {action} for version {version}")
    return action, handler


_LENGTH = "Member must have length"


class Validation:
    """Collects constraint failures and reports them all at once, in AWS's wording:
    ``2 validation errors detected: Value null at 'status' failed to satisfy constraint: …``"""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        self.problems: list[str] = []

    def _fail(self, value: str | None, member: str, constraint: str) -> None:
        shown = "null" if value is None else f"'{value}'"
        self.problems.append(
            f"Value {shown} at '{member}' failed to satisfy constraint: {constraint}"
        )

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        min_length: int = 0,
        max_length: int | None = None,
        pattern: str | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> str | None:
        member = name[0].lower() + name[1:]
        value = self.params.get(name)
        if value is None:
            if required:
                self._fail(None, member, "Member must not be null")
            return None
        if choices is not None and value not in choices:
            self._fail(value, member, f"Member must satisfy enum value set: [{', '.join(choices)}]")
        if pattern is not None and not re.fullmatch(pattern, value, re.ASCII):
            self._fail(value, member, f"Member must satisfy regular expression pattern: {pattern}")
        if len(value) < min_length:
            self._fail(value, member, f"{_LENGTH} greater than or equal to {min_length}")
        if max_length is not None and len(value) > max_length:
            self._fail(value, member, f"{_LENGTH} less than or equal to {max_length}")
        return value

    def integer(self, name: str, *, minimum: int, maximum: int) -> int | None:
        member = name[0].lower() + name[1:]
        value = self.params.get(name)
        if value is None:
            return None
        if not re.fullmatch(r"[+-]?[0-9]{1,10}", value):
            self._fail(value, member, "Member must be an integer")
            return None
        number = int(value)
        if number < minimum:
            self._fail(value, member, f"Member must have value greater than or equal to {minimum}")
        if number > maximum:
            self._fail(value, member, f"Member must have value less than or equal to {maximum}")
        return number

    def check(self) -> None:
        if self.problems:
            count = len(self.problems)
            raise ApiError(
                "ValidationError",
                f"{count} validation error{'s' if count > 1 else ''} detected: "
                + "; ".join(self.problems),
            )


def _access_key_id(check: Validation, *, pattern: str = r"[\w]+") -> str | None:
    return check.string(
        "AccessKeyId", required=True, min_length=16, max_length=128, pattern=pattern
    )


def _user_name(check: Validation) -> str | None:
    return check.string("UserName", min_length=1, max_length=128, pattern=r"[\w+=,.@-]+")


def _as_root(check: Validation, user_name: str | None) -> None:
    """Validate, then refuse any UserName: the root user is no IAM user, and this account
    has none, so a named user is an unknown one, as AWS answers a root caller."""
    check.check()
    if user_name is not None:
        raise ApiError(
            "NoSuchEntity", f"The user with name {user_name} cannot be found.", status=404
        )


# --------------------------------------------------------------------------- IAM actions


def _metadata(access_key: AccessKey) -> Fields:
    # No UserName: AWS leaves it out for the root user's keys.
    return [
        ("AccessKeyId", access_key.access_key_id),
        ("Status", access_key.status),
        ("CreateDate", iso8601(access_key.created_at)),
    ]


def create_access_key(caller: Caller, params: dict[str, str]) -> Fields:
    check = Validation(params)
    _as_root(check, _user_name(check))
    new_key = access_key_create(owner=caller.owner, context=caller.context)
    access_key = new_key.access_key
    return [
        (
            "AccessKey",
            [
                ("AccessKeyId", access_key.access_key_id),
                ("Status", access_key.status),
                ("SecretAccessKey", new_key.secret_access_key),
                ("CreateDate", iso8601(access_key.created_at)),
            ],
        )
    ]


@dataclass(frozen=True)
class _Paging:
    """AWS's MaxItems and Marker of a List* call; the marker is the key of the next item to
    list, as the previous page handed it out."""

    max_items: int
    marker: str | None

    @classmethod
    def read(cls, check: Validation) -> "_Paging":
        max_items = check.integer("MaxItems", minimum=1, maximum=1000) or 100
        marker = check.string("Marker", min_length=1, max_length=320, pattern=r"[\u0020-\u00FF]+")
        return cls(max_items, marker)

    def answer[T](
        self, name: str, items: list[T], key: Callable[[T], str], member: Callable[[T], Fields]
    ) -> Fields:
        keys = [key(item) for item in items]
        start = 0
        if self.marker is not None:
            if self.marker not in keys:
                raise ApiError("ValidationError", "Invalid Marker.")
            start = keys.index(self.marker)
        end = start + self.max_items
        result: Fields = [
            (name, [("member", member(item)) for item in items[start:end]]),
            ("IsTruncated", "true" if keys[end:] else "false"),
        ]
        if keys[end:]:
            result.append(("Marker", keys[end]))
        return result


def list_access_keys(caller: Caller, params: dict[str, str]) -> Fields:
    check = Validation(params)
    user_name = _user_name(check)
    paging = _Paging.read(check)
    _as_root(check, user_name)
    return paging.answer(
        "AccessKeyMetadata", caller.account_keys.all, lambda key: key.access_key_id, _metadata
    )


def update_access_key(caller: Caller, params: dict[str, str]) -> None:
    """Update and Delete answer with ResponseMetadata alone: no Result element."""
    check = Validation(params)
    user_name = _user_name(check)
    access_key_id = _access_key_id(check)
    status = check.string("Status", required=True, choices=AccessKey.Status.values)
    _as_root(check, user_name)
    access_key = owned_key(caller.account_keys.all, access_key_id or "")
    if status == AccessKey.Status.ACTIVE:
        access_key_activate(access_key=access_key, context=caller.context)
    else:
        access_key_deactivate(access_key=access_key, context=caller.context)


def delete_access_key(caller: Caller, params: dict[str, str]) -> None:
    check = Validation(params)
    user_name = _user_name(check)
    access_key_id = _access_key_id(check)
    _as_root(check, user_name)
    access_key_delete(
        access_key=owned_key(caller.account_keys.all, access_key_id or ""), context=caller.context
    )


def get_access_key_last_used(caller: Caller, params: dict[str, str]) -> Fields:
    check = Validation(params)
    access_key_id = _access_key_id(check)
    check.check()
    access_key = owned_key(caller.account_keys.all, access_key_id or "")
    if access_key.last_used_at is None:
        # AWS's answer for a key never used: "N/A" and no date.
        last_used: Fields = [("Region", "N/A"), ("ServiceName", "N/A")]
    else:
        last_used = [
            ("LastUsedDate", iso8601(access_key.last_used_at)),
            ("ServiceName", access_key.last_used_service),
            ("Region", access_key.last_used_region),
        ]
    return [("AccessKeyLastUsed", last_used)]


# GetAccountSummary as AWS answers for an account with no IAM users, groups, roles or
# policies, and AWS's default quotas. AccountAccessKeysPresent is 1: the caller signed with one.
ACCOUNT_SUMMARY = {
    "Users": 0, "UsersQuota": 5000, "Groups": 0, "GroupsQuota": 300,
    "ServerCertificates": 0, "ServerCertificatesQuota": 20,
    "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "GroupsPerUserQuota": 10,
    "SigningCertificatesPerUserQuota": 2, "AccessKeysPerUserQuota": ACCESS_KEYS_PER_USER,
    "MFADevices": 0, "MFADevicesInUse": 0, "AccountMFAEnabled": 0,
    "AccountAccessKeysPresent": 1, "AccountSigningCertificatesPresent": 0,
    "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
    "AttachedPoliciesPerUserQuota": 10,
    "Policies": 0, "PoliciesQuota": 1500, "PolicySizeQuota": 6144,
    "PolicyVersionsInUse": 0, "PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": 5,
    "GlobalEndpointTokenVersion": 1, "AssumeRolePolicySizeQuota": 2048,
    "InstanceProfiles": 0, "InstanceProfilesQuota": 1000, "Providers": 0,
    "RolePolicySizeQuota": 10240, "Roles": 0, "RolesQuota": 1000,
}  # fmt: skip


def get_account_summary(caller: Caller, params: dict[str, str]) -> Fields:
    # Every assigned device is in use: the root user's are assigned in the console only.
    mfa_devices = MFADevice.objects.for_owner(caller.owner).count()
    summary = {
        **ACCOUNT_SUMMARY,
        "MFADevices": mfa_devices,
        "MFADevicesInUse": mfa_devices,
        "AccountMFAEnabled": 1 if mfa_devices else 0,
    }
    entries = [("entry", [("key", key), ("value", str(value))]) for key, value in summary.items()]
    return [("SummaryMap", entries)]


REPORT_STARTED = "No report exists. Starting a new report generation task"  # AWS's words


def generate_credential_report(caller: Caller, params: dict[str, str]) -> Fields:
    state = credential_report_generate(owner=caller.owner)
    if state == ReportState.STARTED:
        return [("Description", REPORT_STARTED), ("State", state.value)]
    return [("State", state.value)]


def get_credential_report(caller: Caller, params: dict[str, str]) -> Fields:
    report = credential_report_get(owner=caller.owner)
    return [
        ("Content", base64.b64encode(report.content_bytes()).decode("ascii")),
        ("ReportFormat", REPORT_FORMAT),
        ("GeneratedTime", iso8601(report.generated_at)),
    ]


def list_mfa_devices(caller: Caller, params: dict[str, str]) -> Fields:
    """The root user's MFA devices (authenticator apps and FIDO keys), oldest first."""
    check = Validation(params)
    user_name = _user_name(check)
    paging = _Paging.read(check)
    _as_root(check, user_name)
    owner = caller.owner

    def member(device: MFADevice) -> Fields:
        return [
            ("UserName", owner.account_name),
            ("SerialNumber", serial_number(device)),
            ("EnableDate", iso8601(device.created_at)),
        ]

    return paging.answer("MFADevices", devices_of(owner), serial_number, member)


# --------------------------------------------------------------------------- STS actions


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
    now = timezone.now()
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
    access_key_id = _access_key_id(check, pattern=r"[\w]*")
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


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("iam", "CreateAccessKey"): create_access_key,
    ("iam", "ListAccessKeys"): list_access_keys,
    ("iam", "UpdateAccessKey"): update_access_key,
    ("iam", "DeleteAccessKey"): delete_access_key,
    ("iam", "GetAccessKeyLastUsed"): get_access_key_last_used,
    ("iam", "GetAccountSummary"): get_account_summary,
    ("iam", "GenerateCredentialReport"): generate_credential_report,
    ("iam", "GetCredentialReport"): get_credential_report,
    ("iam", "ListMFADevices"): list_mfa_devices,
    ("sts", "GetCallerIdentity"): get_caller_identity,
    ("sts", "GetAccessKeyInfo"): get_access_key_info,
    ("sts", "GetSessionToken"): get_session_token,
}
