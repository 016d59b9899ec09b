"""One request to ``/api``, answered: parameters, SigV4 parsing, the caller, the action, the
XML; and every failure in AWS's words (:func:`_aws_error`): a database outage is a 503
``ServiceUnavailable`` that SDKs retry, anything else unexpected a logged ``ServiceFailure`` /
``InternalFailure`` 500 in XML, never Django's HTML."""

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import get_path_info, get_script_name
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .. import sigv4
from ..exceptions import (
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
from ..session_tokens import session_check_action
from . import iam, sts, xml
from .caller import Handler, authenticate
from .protocol import (
    ALLOWED_METHODS,
    FORM_CONTENT_TYPE,
    IAM,
    INTERNAL_ERROR,
    MALFORMED_QUERY,
    REGION_PATTERN,
    SERVICES,
    STS,
    UNAVAILABLE,
    ApiError,
    Service,
)

logger = logging.getLogger(__name__)
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9/_.~-]*")  # what quote(path, safe="/~") keeps as is


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
    """An answer, as keys/api/wsgi.py sends it."""

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
        caller = authenticate(
            signed,
            now=timezone.now(),
            environ=environ,
        )
        action, handler = _operation(service, params)
        if caller.session is not None:
            session_check_action(caller.session, service=service.name, action=action)
        result = handler(caller, params)
        body = xml.success(
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
    body = xml.error(
        namespace=service.namespace,
        request_id=request_id,
        code=error.code,
        message=error.message,
        fault=error.fault,
    )
    return _xml(body, status=error.status, request_id=request_id)


# ---------------------------------------------------------------------------- the request


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


def _headers(environ: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The request's headers by lower-cased name, grouped as sigv4.parse_request takes them."""
    headers: dict[str, tuple[str, ...]] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key.replace("_", "-").lower()
        else:
            continue
        headers[name] = (*headers[name], value) if name in headers else (value,)
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


# ------------------------------------------------------------------------- dispatching


def _operation(service: Service, params: dict[str, str]) -> tuple[str, Handler]:
    action = params.get("Action")
    if not action:
        raise ApiError("MissingAction", "Missing Action")
    version = params.get("Version") or "NO_VERSION_SPECIFIED"
    handler = OPERATIONS.get((service.name, action)) if version == service.version else None
    if handler is None:
        raise ApiError("InvalidAction", f"Could not find operation {action} for version {version}")
    return action, handler


OPERATIONS: dict[tuple[str, str], Handler] = {
    **{(IAM.name, action): handler for action, handler in iam.ACTIONS.items()},
    **{(STS.name, action): handler for action, handler in sts.ACTIONS.items()},
}
