"""Property tests for keys.sigv4.

1. Robustness: for any input (garbage headers, non-ASCII, bad percent-encoding,
   bad dates, huge values) parse_request()/verify() either succeed or raise a
   SigV4Error. Nothing else may escape, because anything else would be a 500.
2. Interoperability: whatever botocore's SigV4Auth / SigV4QueryAuth signs, verify()
   accepts. Flipping one signature character or changing the body is rejected.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from keys import sigv4

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUNDTRIP = settings(max_examples=60, deadline=None)
NOW = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)

# ------------------------------------------------------------------- fuzz strategies

# Every code point, lone surrogates included (a WSGI server can hand those over).
any_char = st.characters(categories=["L", "M", "N", "P", "S", "Z", "C"])
anything = st.text(any_char, max_size=60)
CREDENTIAL = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
AMZ_DATE = "20150830T123600Z"


def mostly(valid: str, garbage: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The valid value 3 times in 4, so that the fuzzing often gets past parsing."""
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda ok: st.just(valid) if ok else garbage
    )


amz_dates = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.strftime("%Y%m%dT%H%M%SZ")),
    st.sampled_from(["99991231T235959Z", "00010101T000000Z", "20151330T123600Z", "2015"]),
    anything,
)
credentials = st.one_of(
    anything,
    st.lists(anything, min_size=4, max_size=6).map("/".join),
    st.builds(
        "{}/{}/{}/{}/{}".format,
        anything,
        st.sampled_from(["20150830", "2015083x", ""]),
        anything,
        anything,
        st.sampled_from(["aws4_request", "aws5_request", ""]),
    ),
)
signed_header_lists = st.one_of(
    anything,
    st.lists(
        st.sampled_from(["host", "x-amz-date", "content-type", "x-amz-content-sha256", ""])
        | anything,
        max_size=5,
    ).map(lambda names: ";".join(["host", *names])),
)
query_values = st.one_of(anything, st.text(alphabet="%0123456789abcdefABCDEFzZ+=&/", max_size=20))
authorizations = st.one_of(
    anything,
    st.builds(
        "{} Credential={}, SignedHeaders={}, Signature={}".format,
        mostly("AWS4-HMAC-SHA256", anything),
        mostly(CREDENTIAL, credentials),
        mostly("host;x-amz-date", signed_header_lists),
        mostly("0" * 64, anything),
    ),
)
presigned_queries = st.fixed_dictionaries(
    {
        "X-Amz-Algorithm": mostly("AWS4-HMAC-SHA256", query_values),
        "X-Amz-Credential": mostly(CREDENTIAL, credentials),
        "X-Amz-Date": mostly(AMZ_DATE, amz_dates),
        "X-Amz-Expires": mostly("3600", st.integers(-10, 10**7).map(str) | query_values),
        "X-Amz-SignedHeaders": mostly("host", signed_header_lists),
        "X-Amz-Signature": mostly("0" * 64, query_values),
    },
    optional={"X-Amz-Security-Token": anything, "Action": anything, "é": query_values},
).map(
    lambda params: "&".join(
        f"{quote(k)}={quote(v, safe='%+&=', errors='surrogatepass')}" for k, v in params.items()
    )
)
header_names = st.one_of(
    st.sampled_from(
        [
            "Host",
            "X-Amz-Date",
            "Date",
            "X-Amz-Content-SHA256",
            "X-Amz-Security-Token",
            "Content-Type",
            "authorization",
        ]
    ),
    anything,
)
header_values = st.one_of(
    anything,
    amz_dates,
    st.sampled_from(["UNSIGNED-PAYLOAD", "e3b0" * 16, "Sun, 30 Aug 2015"]),
    st.text(min_size=2000, max_size=3000),
    st.characters(codec="utf-8").map(lambda c: c * 5000),
)
base_headers = st.tuples(
    st.tuples(st.just("Host"), mostly("example.amazonaws.com", anything)),
    st.tuples(st.sampled_from(["X-Amz-Date", "x-amz-date", "Date"]), mostly(AMZ_DATE, amz_dates)),
).map(list)
extra_headers = st.lists(st.tuples(header_names, header_values), max_size=4)
methods = st.sampled_from(["GET", "POST", "get", ""]) | anything
paths = st.one_of(anything, st.text(alphabet="/.%2Eab ሴ", max_size=30))
bodies = st.binary(max_size=200)

garbage_requests = st.tuples(
    methods,
    paths,
    st.one_of(anything, query_values, presigned_queries),
    st.tuples(
        extra_headers, st.lists(st.tuples(st.just("Authorization"), authorizations), max_size=2)
    ).map(lambda hs: hs[0] + hs[1]),
    bodies,
)
header_form_requests = st.tuples(
    methods,
    paths,
    query_values,
    st.tuples(base_headers, extra_headers, authorizations).map(
        lambda hs: [*hs[0], *hs[1], ("Authorization", hs[2])]
    ),
    bodies,
)
presigned_requests = st.tuples(
    methods,
    paths,
    presigned_queries,
    st.tuples(base_headers, extra_headers).map(lambda hs: [hs[0][0], *hs[1]]),
    bodies,
)


@FUZZ
@given(
    request=st.one_of(garbage_requests, header_form_requests, presigned_requests),
    secret=anything,
    skew=st.integers(-(10**9), 10**9) | st.integers(-1000, 1000),
    normalize=st.booleans(),
)
@example(  # lone surrogates, invalid percent escapes, obs-fold, empty everything
    request=(
        "\ud800",
        "/\udfff/%zz/..",
        "%E1=%&%%=\ud800&=",
        [
            ("\ud800", "a\r\n b"),
            ("Host", "\udfff"),
            ("X-Amz-Date", AMZ_DATE),
            (
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential=\ud800{CREDENTIAL[11:]}, "
                "SignedHeaders=host;\ud800, Signature=\ud800",
            ),
        ],
        b"\xff",
    ),
    secret="\ud800",
    skew=0,
    normalize=True,
)
def test_it_only_ever_raises_sigv4_errors(request, secret, skew, normalize):
    method, path, query, headers, body = request
    try:
        req = sigv4.parse_request(method, path, query, headers, body)
        sigv4.canonical_request(req, normalize_path=normalize, session_token_signed=normalize)
        sigv4.verify(
            req,
            secret_access_key=secret,
            now=NOW + timedelta(seconds=skew),
            normalize_path=normalize,
        )
        event("verified")
    except sigv4.SigV4Error as exc:
        event(f"{type(exc).__name__}: {exc.message[:30]}")
        assert isinstance(exc.message, str) and exc.message
        assert len(exc.message) < 2000  # echoed request text is clipped


# ------------------------------------------------------------- botocore round trips

access_keys = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=20)
secrets = st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s)
regions = st.one_of(
    st.sampled_from(["us-east-1", "eu-west-3", "ap-southeast-2"]),
    st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=15),
)
params = st.dictionaries(
    st.text(alphabet=string.ascii_letters + string.digits + ".-_", min_size=1, max_size=20).filter(
        lambda name: not name.lower().startswith("x-amz-")
    ),  # reserved for SigV4
    st.text(max_size=30),
    max_size=5,
).map(lambda extra: {"Action": "GetCallerIdentity", "Version": "2011-06-15", **extra})
hosts = st.sampled_from(["iam.amazonaws.com", "sts.amazonaws.com", "127.0.0.1:8000", "localhost"])
paths = st.lists(st.text(alphabet=string.ascii_letters + " ./%~+ሴ", max_size=8), max_size=4).map(
    lambda segments: quote("/" + "/".join(segments), safe="/~")
)
tokens = st.none() | st.text(alphabet=string.ascii_letters + string.digits + "/+=", min_size=10)
sign_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
# What both round-trip tests draw: a request, and the credentials and time botocore signs it with.
SIGNED_BY_BOTOCORE = {
    "access_key": access_keys,
    "secret": secrets,
    "region": regions,
    "service": st.sampled_from(["iam", "sts"]),
    "action": params,
    "host": hosts,
    "path": paths,
    "token": tokens,
    "signed_at": sign_times,
}


def _url(host: str, path: str, params: dict | None = None) -> str:
    """Percent-encoded as botocore's serializers do it (RFC 3986, never '+')."""
    return f"https://{host}{path}" + (f"?{percent_encode_sequence(params)}" if params else "")


def _signed_with_botocore(signer, request: AWSRequest, at: datetime) -> AWSRequest:
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(microsecond=0)):
        signer.add_auth(request)
    return request


def _as_received(request: AWSRequest) -> dict:
    """What the Django view would hand over for this request."""
    url = urlsplit(request.url)
    headers = [(name, value) for name, value in request.headers.items()]
    if "host" not in {name.lower() for name, _ in headers}:
        headers.insert(0, ("Host", url.netloc))
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    return {
        "method": request.method,
        "path": url.path,
        "query_string": url.query,
        "headers": headers,
        "body": body,
    }


def _assert_tampering_is_rejected(received: dict, secret: str, now: datetime, data) -> None:
    req = sigv4.parse_request(**received)
    index = data.draw(st.integers(0, len(req.signature) - 1), label="flip at")
    old = req.signature[index]
    new = data.draw(st.sampled_from([c for c in "0123456789abcdef" if c != old]), label="to")
    flipped = req.signature[:index] + new + req.signature[index + 1 :]
    if req.is_presigned:
        query = received["query_string"].replace(
            f"X-Amz-Signature={req.signature}", f"X-Amz-Signature={flipped}"
        )
        forged = {**received, "query_string": query}
    else:
        headers = [
            (n, v.replace(f"Signature={req.signature}", f"Signature={flipped}"))
            for n, v in received["headers"]
        ]
        forged = {**received, "headers": headers}
    with pytest.raises(sigv4.SignatureDoesNotMatch) as exc:
        sigv4.verify(sigv4.parse_request(**forged), secret_access_key=secret, now=now)
    assert exc.value.message == sigv4.MISMATCH_MESSAGE

    other_body = data.draw(st.binary(max_size=50).filter(lambda b: b != received["body"]))
    with pytest.raises(sigv4.SignatureDoesNotMatch) as exc:
        sigv4.verify(
            sigv4.parse_request(**{**received, "body": other_body}),
            secret_access_key=secret,
            now=now,
        )
    assert exc.value.message == sigv4.MISMATCH_MESSAGE


@ROUNDTRIP
@given(
    **SIGNED_BY_BOTOCORE,
    skew=st.integers(-900, 900),
    use_post=st.booleans(),
    data=st.data(),
)
def test_botocore_header_signed_requests_verify(
    access_key, secret, region, service, action, host, path, token, signed_at, skew, use_post, data
):
    if use_post:
        request = AWSRequest(
            method="POST",
            url=_url(host, path),
            data=percent_encode_sequence(action).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
    else:
        request = AWSRequest(method="GET", url=_url(host, path, action))
    signer = SigV4Auth(Credentials(access_key, secret, token), service, region)
    received = _as_received(_signed_with_botocore(signer, request, signed_at))
    now = signed_at.replace(microsecond=0, tzinfo=UTC) + timedelta(seconds=skew)

    req = sigv4.parse_request(**received)
    assert (req.access_key_id, req.region, req.service) == (access_key, region, service)
    assert req.scope_date == signed_at.strftime("%Y%m%d") and not req.is_presigned
    assert req.session_token == token
    sigv4.verify(req, secret_access_key=secret, now=now)
    _assert_tampering_is_rejected(received, secret, now, data)


@ROUNDTRIP
@given(
    **SIGNED_BY_BOTOCORE,
    expires=st.integers(1, 604800),
    data=st.data(),
)
def test_botocore_presigned_urls_verify(
    access_key, secret, region, service, action, host, path, token, signed_at, expires, data
):
    request = AWSRequest(method="GET", url=_url(host, path, action))
    signer = SigV4QueryAuth(Credentials(access_key, secret, token), service, region, expires)
    received = _as_received(_signed_with_botocore(signer, request, signed_at))
    signed_at = signed_at.replace(microsecond=0, tzinfo=UTC)
    now = signed_at + timedelta(seconds=data.draw(st.integers(-900, expires), label="age"))

    req = sigv4.parse_request(**received)
    assert req.is_presigned and req.expires == expires
    assert (req.access_key_id, req.region, req.service) == (access_key, region, service)
    sigv4.verify(req, secret_access_key=secret, now=now)
    _assert_tampering_is_rejected(received, secret, now, data)

    with pytest.raises(sigv4.SignatureDoesNotMatch, match="^Signature expired"):
        sigv4.verify(req, secret_access_key=secret, now=signed_at + timedelta(seconds=expires + 1))


# The parts of an Authorization header: plain, with the characters that delimit its parts
# (commas, equal signs, spaces), or anything at all.
_auth_part = st.one_of(
    st.text(string.ascii_letters + string.digits + "/-_;", min_size=1, max_size=20),
    st.text(string.ascii_letters + "/;,= \t\u00a0", max_size=6),
    st.text(string.ascii_letters + "/;,= \t\u00a0", max_size=6),
    anything,
)


@FUZZ
@given(
    credential=_auth_part,
    signed_headers=_auth_part,
    signature=_auth_part,
    separator=st.sampled_from([", ", ", ", ",", ",", " , ", ", \u00a0"]),
    prefix=st.sampled_from(["", "", "", " "]),
)
@example(credential=CREDENTIAL, signed_headers="host", signature="ab", separator=", ", prefix="")
def test_the_plain_authorization_header_reads_as_the_general_parser_reads_it(
    credential, signed_headers, signature, separator, prefix
):
    """The fast path for the header as SDKs write it gives what the general parser gives
    for the same text, and the text it leaves to the general parser is still read."""
    value = (
        f"{prefix}{sigv4.ALGORITHM} Credential={credential}{separator}"
        f"SignedHeaders={signed_headers}{separator}Signature={signature}"
    )
    plain = sigv4._PLAIN_AUTHORIZATION.fullmatch(value)
    event("plain" if plain else "general")
    try:
        general = sigv4._authorization_params(value)
    except sigv4.SigV4Error:
        assert plain is None
        return
    if plain is not None:
        assert general == dict(
            zip(("Credential", "SignedHeaders", "Signature"), plain.groups(), strict=True)
        )
