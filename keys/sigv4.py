"""AWS Signature Version 4 verification (server side), standard library only.

There are two steps, so that the caller can look the access key up between them:
:func:`parse_request` needs no secret. It finds the credential, the signed headers,
the signature and the time, in the ``Authorization`` header or in presigned-URL
query parameters. :func:`verify` then checks the scope and the clock, and
recomputes the signature with the secret.

Canonicalisation follows AWS's rules for non-S3 services (IAM, STS, ...), and the
official test vectors pin it down byte for byte:

* Path: the raw path as received, still percent-encoded. Dot segments and
  repeated slashes are removed if ``normalize_path`` is set. Then every byte
  outside ``A-Za-z0-9-_.~/`` is percent-encoded again. This is the "double
  encoding" that non-S3 services use, and botocore does the same. With Django,
  pass the wire path (``RAW_URI``/``REQUEST_URI``), or ``quote(request.path)``;
  for IAM/STS the path is just ``/``.
* Query: each name and value is percent-decoded to bytes and re-encoded per
  RFC 3986, then the pairs are sorted by (name, value). ``+`` is a literal plus.
  Empty ``&&`` pieces are skipped.
* Headers: names are lowercased. Values are trimmed, and inner whitespace runs,
  obs-fold line breaks included, collapse to one space, as in botocore.
  Repeated headers are joined with ``,`` in the order received.

Failures raise :class:`SigV4Error` subclasses, and nothing else, for any request
input. The view maps them to AWS error documents; any other exception would be a 500.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import ClassVar
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_EXPIRES = 604800  # one week, AWS's upper bound for X-Amz-Expires
CLOCK_SKEW = timedelta(minutes=15)
_AMZ_DATE_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z")  # not \d: it matches non-ASCII digits
_SHA256_HEX_RE = re.compile(r"[0-9a-fA-F]{64}")
# The Authorization header as every SDK writes it: the three parts once each, in this order.
# What matches is read as the general parser would read it; anything else goes to that parser.
_PLAIN_AUTHORIZATION = re.compile(
    ALGORITHM + r" Credential=([^\s,=]+), ?SignedHeaders=([^\s,=]+), ?Signature=([^\s,=]+)"
)
# Non-empty segments of unreserved characters, none starting with a dot: a path that neither
# dot-segment removal nor encoding changes.
_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)*/?")
_CLIP = 256  # bound on request text echoed back in error messages


class SigV4Error(Exception):
    """Base class. ``code``, ``http_status`` and ``message`` are what AWS would answer."""

    code: ClassVar[str] = "SignatureDoesNotMatch"
    http_status: ClassVar[int] = 403

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingAuthenticationToken(SigV4Error):
    """There is no SigV4 authentication at all (403)."""

    code = "MissingAuthenticationToken"


class IncompleteSignature(SigV4Error):
    """The authentication data is malformed; no secret is needed to tell (400)."""

    code, http_status = "IncompleteSignature", 400


class SignatureDoesNotMatch(SigV4Error):
    """The signature, the credential scope or the clock check failed (403)."""


class ContentSHA256Mismatch(SignatureDoesNotMatch):
    """``x-amz-content-sha256`` does not match the body received (400, S3's code).
    A subclass because it is still a failed verification."""

    code, http_status = "XAmzContentSHA256Mismatch", 400


ONE_AUTHORIZATION = (
    "Only one Authorization header is allowed, with one Credential, SignedHeaders and Signature."
)
MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


@dataclass(slots=True)
class SignedRequest:
    """A parsed request: what was signed, and the claims needed to check it."""

    method: str
    path: str
    query: tuple[tuple[bytes, bytes], ...]  # percent-decoded (name, value), as received
    headers: dict[str, tuple[str, ...]] = field(repr=False)  # lowercased name -> values
    access_key_id: str
    scope_date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str = field(repr=False)
    amz_date: str  # the timestamp as it enters the string to sign
    request_time: datetime
    is_presigned: bool
    expires: int | None  # X-Amz-Expires, presigned form only
    session_token: str | None
    payload_hash: str  # as it enters the canonical request
    body_sha256: str

    @property
    def credential_scope(self) -> str:
        return f"{self.scope_date}/{self.region}/{self.service}/{self.terminator}"

    @property
    def unsigned_payload(self) -> bool:
        """True when the client opted out of signing the body (UNSIGNED-PAYLOAD)."""
        return self.payload_hash == UNSIGNED_PAYLOAD


# --------------------------------------------------------------------------- parsing


def parse_request(
    method: str,
    path: str,
    query_string: str,
    headers: Iterable[tuple[str, str]] | dict[str, tuple[str, ...]],
    body: bytes,
) -> SignedRequest:
    """Extract SigV4 data from a request. Raises MissingAuthenticationToken or
    IncompleteSignature. The header form and the presigned (query) form are
    mutually exclusive, as at AWS.

    ``headers`` are (name, value) pairs as received, or already grouped: a dict of
    lower-cased names to their values (a WSGI server has joined repeated headers)."""
    header_map = headers if isinstance(headers, dict) else _group_headers(headers)
    query = _parse_query(query_string)
    query_names = {name for name, _ in query}
    presigned = b"X-Amz-Algorithm" in query_names or b"X-Amz-Credential" in query_names
    authorization = header_map.get("authorization")
    if authorization is None and not presigned:
        raise MissingAuthenticationToken("Request is missing Authentication Token")
    if authorization is not None and presigned:
        raise IncompleteSignature(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified"
        )
    if presigned:
        auth = _auth_from_query(query)
        token = _query_value(query, b"X-Amz-Security-Token")
    else:
        auth = _auth_from_header(authorization or (), header_map)
        token = _joined(header_map, "x-amz-security-token")
    return _build(method, path, query, header_map, body, auth, token)


@dataclass(slots=True)
class _Auth:
    """The raw SigV4 fields, wherever they came from."""

    credential: str
    signed_headers: str
    signature: str
    date: str
    date_is_http: bool  # True when it came from the RFC 1123 Date header
    expires: int | None
    is_presigned: bool


def _auth_from_header(values: tuple[str, ...], headers: dict[str, tuple[str, ...]]) -> _Auth:
    if len(values) != 1:
        raise IncompleteSignature(ONE_AUTHORIZATION)
    value = values[0]
    plain = _PLAIN_AUTHORIZATION.fullmatch(value)
    if plain is not None:
        credential, signed_headers, signature = plain.groups()
        params = {"Credential": credential, "SignedHeaders": signed_headers, "Signature": signature}
    else:
        params = _authorization_params(value)
    amz_date, http_date = _joined(headers, "x-amz-date"), _joined(headers, "date")
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if amz_date is None and http_date is None:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if problems:
        raise IncompleteSignature(" ".join(problems) + f" Authorization={_clip(value)}")
    return _Auth(
        credential=params["Credential"],
        signed_headers=params["SignedHeaders"],
        signature=params["Signature"],
        date=amz_date if amz_date is not None else http_date or "",
        date_is_http=amz_date is None,
        expires=None,
        is_presigned=False,
    )


def _authorization_params(value: str) -> dict[str, str]:
    """The Authorization header's ``key=value`` parts, in any order and spacing."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{_clip(algorithm)}'.")
    params: dict[str, str] = {}
    for component in rest.split(","):
        component = component.strip()
        if not component:
            continue
        key, equals, val = component.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{_clip(component)}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{_clip(value)}'."
            )
        # Two Authorization headers arrive joined by the server ("...Signature=a,AWS4-HMAC-SHA256
        # Credential=..."), or one header names a part twice: refuse, never pick one.
        key = key.strip()
        if len(key.split()) != 1 or key in params:
            raise IncompleteSignature(f"{ONE_AUTHORIZATION} Authorization={_clip(value)}")
        params[key] = val.strip()
    return params


_QUERY_AUTH_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
    "X-Amz-Expires",
)


def _auth_from_query(query: tuple[tuple[bytes, bytes], ...]) -> _Auth:
    values: dict[str, str] = {}
    problems = []
    for name in _QUERY_AUTH_PARAMS:
        occurrences = [v for n, v in query if n == name.encode()]
        if len(occurrences) > 1:
            raise IncompleteSignature(f"AWS query-string parameter '{name}' is repeated.")
        if not occurrences or not occurrences[0]:
            problems.append(f"AWS query-string parameters must include '{name}'.")
        else:
            values[name] = occurrences[0].decode("utf-8", "replace")
    if problems:
        raise IncompleteSignature(" ".join(problems) + " Re-examine the query-string parameters.")
    if values["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignature(
            f"Unsupported AWS 'algorithm': '{_clip(values['X-Amz-Algorithm'])}'."
        )
    return _Auth(
        credential=values["X-Amz-Credential"],
        signed_headers=values["X-Amz-SignedHeaders"],
        signature=values["X-Amz-Signature"],
        date=values["X-Amz-Date"],
        date_is_http=False,
        expires=_parse_expires(values["X-Amz-Expires"]),
        is_presigned=True,
    )


def _build(
    method: str,
    path: str,
    query: tuple[tuple[bytes, bytes], ...],
    headers: dict[str, tuple[str, ...]],
    body: bytes,
    auth: _Auth,
    token: str | None,
) -> SignedRequest:
    parts = auth.credential.split("/")
    if len(parts) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{_clip(auth.credential)}'"
        )
    signed_headers = tuple(auth.signed_headers.split(";"))
    if not all(signed_headers):
        raise IncompleteSignature(f"SignedHeaders is malformed: '{_clip(auth.signed_headers)}'.")
    if "host" not in signed_headers:
        # AWS answers this before looking at the signature: an unsigned Host
        # would let a signature be replayed against another endpoint.
        raise IncompleteSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    request_time = _parse_http_date(auth.date) if auth.date_is_http else _parse_amz_date(auth.date)
    body_sha256 = hashlib.sha256(body).hexdigest()
    content_sha256 = _joined(headers, "x-amz-content-sha256")
    return SignedRequest(
        method=method,
        path=path,
        query=query,
        headers=headers,
        access_key_id=parts[0],
        scope_date=parts[1],
        region=parts[2],
        service=parts[3],
        terminator=parts[4],
        signed_headers=signed_headers,
        signature=auth.signature,
        amz_date=_format(request_time) if auth.date_is_http else auth.date,
        request_time=request_time,
        is_presigned=auth.is_presigned,
        expires=auth.expires,
        session_token=token,
        payload_hash=_trimall(content_sha256) if content_sha256 is not None else body_sha256,
        body_sha256=body_sha256,
    )


def _parse_amz_date(value: str) -> datetime:
    try:
        if _AMZ_DATE_RE.fullmatch(value):
            # By hand, not strptime: same result, a twentieth of the time on the hot path.
            v = value
            return datetime(
                int(v[0:4]), int(v[4:6]), int(v[6:8]),
                int(v[9:11]), int(v[11:13]), int(v[13:15]), tzinfo=UTC,
            )  # fmt: skip
    except ValueError:  # e.g. month 13
        pass
    raise IncompleteSignature(
        f"Date must be in ISO-8601 'basic format'. Got '{_clip(value)}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _parse_http_date(value: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # "-0000" means UTC with unknown origin
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, OverflowError, IndexError):
        raise IncompleteSignature(
            f"Date header must be an RFC 1123 date. Got '{_clip(value)}'."
        ) from None


def _parse_expires(value: str) -> int:
    if value.startswith("-") and value[1:].isascii() and value[1:].isdigit():
        raise IncompleteSignature("X-Amz-Expires must be non-negative")
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise IncompleteSignature("X-Amz-Expires should be a number")
    expires = int(value)
    if expires > MAX_EXPIRES:
        raise IncompleteSignature(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}"
        )
    if expires < 1:
        raise IncompleteSignature("X-Amz-Expires must be at least 1 second")
    return expires


# ----------------------------------------------------------------- canonicalisation


def canonical_request(
    req: SignedRequest, *, normalize_path: bool = True, session_token_signed: bool = True
) -> str:
    """Task 1 of SigV4: the canonical request.

    ``session_token_signed=False`` leaves a presigned URL's X-Amz-Security-Token
    out of the canonical query. Some services expect clients to append the
    token after signing; IAM and STS do not.
    """
    excluded = set()
    if req.is_presigned:
        excluded.add(b"X-Amz-Signature")
        if not session_token_signed:
            excluded.add(b"X-Amz-Security-Token")
    return "\n".join(
        (
            req.method,
            canonical_uri(req.path, normalize=normalize_path),
            canonical_query(req.query, exclude=excluded),
            canonical_headers(req.headers, req.signed_headers),
            ";".join(req.signed_headers),
            req.payload_hash,
        )
    )


def canonical_uri(path: str, *, normalize: bool = True) -> str:
    """Encode the raw path again; non-S3 services sign it double-encoded."""
    if path and _PLAIN_PATH.fullmatch(path):
        return path  # nothing to remove, nothing to encode: IAM's and STS's "/" among them
    if normalize:
        path = remove_dot_segments(path)
    return quote(_bytes(path or "/"), safe="/")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal plus collapsing of empty segments, as in botocore."""
    if not path:
        return "/"
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if output:
                output.pop()
        elif segment and segment != ".":
            output.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and output else ""
    return first + "/".join(output) + last


def canonical_query(query: Iterable[tuple[bytes, bytes]], *, exclude: Container[bytes] = ()) -> str:
    if not query:
        return ""  # a POST's query: nothing to sort or encode
    encoded = sorted(
        (quote(name, safe=""), quote(value, safe=""))
        for name, value in query
        if name not in exclude
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_headers(headers: dict[str, tuple[str, ...]], signed_headers: Iterable[str]) -> str:
    """One ``name:value\\n`` line per signed header. A header that is signed but
    absent is rendered with an empty value, so that the signature fails."""
    return "".join(
        [f"{name}:{','.join(map(_trimall, headers.get(name, ())))}\n" for name in signed_headers]
    )


def string_to_sign(
    req: SignedRequest, *, normalize_path: bool = True, session_token_signed: bool = True
) -> str:
    creq = canonical_request(
        req, normalize_path=normalize_path, session_token_signed=session_token_signed
    )
    digest = hashlib.sha256(_bytes(creq)).hexdigest()
    return "\n".join((ALGORITHM, req.amz_date, req.credential_scope, digest))


@functools.lru_cache(maxsize=4096)
def derive_signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC chain over date, region, service, "aws4_request".

    It is cached because it changes only daily, while a busy key signs many
    requests. The cache is bounded, so scopes chosen by attackers cannot grow it.
    Because the secret is part of the cache key, the cache keeps secrets in
    memory. A rotated secret is simply a new entry.
    """
    key = _bytes("AWS4" + secret_access_key)
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, _bytes(part), hashlib.sha256).digest()
    return key


def compute_signature(
    req: SignedRequest,
    secret_access_key: str,
    *,
    normalize_path: bool = True,
    session_token_signed: bool = True,
) -> str:
    key = derive_signing_key(secret_access_key, req.scope_date, req.region, req.service)
    sts = string_to_sign(
        req, normalize_path=normalize_path, session_token_signed=session_token_signed
    )
    return hmac.new(key, _bytes(sts), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------- verification


def verify(
    req: SignedRequest,
    *,
    secret_access_key: str,
    now: datetime | None = None,
    normalize_path: bool = True,
    session_token_signed: bool = True,
    clock_skew: timedelta = CLOCK_SKEW,
) -> None:
    """Raise SignatureDoesNotMatch unless ``req`` is validly signed with the secret
    and current at ``now`` (default: the current time), within ``clock_skew``.

    Checks run in this order: credential scope, clock, body hash, signature.
    Only the last one needs the secret. A naive ``now`` is taken as UTC.
    """
    _check_scope_consistency(req)
    _check_clock(req, _to_utc_seconds(now or datetime.now(UTC)), clock_skew)
    _check_payload_hash(req)
    expected = compute_signature(
        req,
        secret_access_key,
        normalize_path=normalize_path,
        session_token_signed=session_token_signed,
    )
    if not hmac.compare_digest(expected.encode("ascii"), _bytes(req.signature)):
        raise SignatureDoesNotMatch(MISMATCH_MESSAGE)


def check_scope(req: SignedRequest, *, service: str, region: str | None = None) -> None:
    """Optional helper for the view: the scope names this service (and region).
    Raises SignatureDoesNotMatch with AWS's wording."""
    if req.service != service:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped to correct service: '{service}'. "
        )
    if region is not None and req.region != region:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped to a valid region, not '{_clip(req.region)}'. "
        )


def _check_scope_consistency(req: SignedRequest) -> None:
    if req.terminator != TERMINATOR:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{_clip(req.terminator)}'. "
        )
    if req.scope_date != req.amz_date[:8]:
        raise SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{_clip(req.scope_date)}' != '{req.amz_date[:8]}', "
            f"from '{req.amz_date}'."
        )


def _check_clock(req: SignedRequest, now: datetime, skew: timedelta = CLOCK_SKEW) -> None:
    """Header form: ±15 minutes. Presigned form: valid for X-Amz-Expires seconds
    after X-Amz-Date, and not more than 15 minutes ahead. Arithmetic is done on
    ``now`` only, so that request dates near year 9999 cannot overflow."""
    skew_text = f"{int(skew.total_seconds() // 60)} min."
    if req.request_time > now + skew:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {req.amz_date} is still later than "
            f"{_format(now + skew)} ({_format(now)} + {skew_text})"
        )
    earliest, window = now - skew, skew_text
    if req.expires is not None:  # presigned
        earliest, window = now - timedelta(seconds=req.expires), f"{req.expires} sec."
    if req.request_time < earliest:
        raise SignatureDoesNotMatch(
            f"Signature expired: {req.amz_date} is now earlier than "
            f"{_format(earliest)} ({_format(now)} - {window})"
        )


def _check_payload_hash(req: SignedRequest) -> None:
    """A declared x-amz-content-sha256 is what gets signed, so it must also
    match the body. Otherwise a captured request could carry a different body.

    UNSIGNED-PAYLOAD (S3's opt-out) is taken only for an empty body: an IAM or
    STS body holds the Action and every parameter, so an unsigned one would let
    a captured request's signature carry any action for 15 minutes."""
    declared = req.payload_hash
    if declared == req.body_sha256:
        return
    if declared == UNSIGNED_PAYLOAD:
        if req.body_sha256 == _EMPTY_SHA256:
            return
        raise ContentSHA256Mismatch(
            "x-amz-content-sha256 must be the sha256 value of the body: "
            "a request with a body cannot be UNSIGNED-PAYLOAD."
        )
    if not _SHA256_HEX_RE.fullmatch(declared):
        raise ContentSHA256Mismatch(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, or a valid sha256 value."
        )
    if declared.lower() != req.body_sha256:
        raise ContentSHA256Mismatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )


# -------------------------------------------------------------------------- helpers


def _bytes(text: str) -> bytes:
    """UTF-8, but lone surrogates must not raise: any input is allowed."""
    return text.encode("utf-8", "surrogatepass")


def _trimall(value: str) -> str:
    return " ".join(value.split())


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[:_CLIP] + "..."


def _format(moment: datetime) -> str:
    """ISO 8601 basic format. Not strftime: glibc's %Y does not zero-pad years < 1000."""
    m = moment
    return f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}Z"


def _to_utc_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _group_headers(headers: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return {name: tuple(values) for name, values in grouped.items()}


def _joined(headers: dict[str, tuple[str, ...]], name: str) -> str | None:
    values = headers.get(name)
    return None if values is None else ",".join(v.strip() for v in values)


def _parse_query(query_string: str) -> tuple[tuple[bytes, bytes], ...]:
    pairs = []
    for piece in _bytes(query_string).split(b"&"):
        if piece:
            name, _, value = piece.partition(b"=")
            pairs.append((unquote_to_bytes(name), unquote_to_bytes(value)))
    return tuple(pairs)


def _query_value(query: tuple[tuple[bytes, bytes], ...], name: bytes) -> str | None:
    for key, value in query:
        if key == name:
            return value.decode("utf-8", "replace")
    return None
