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
digits = st.text(alphabet=string.digits, min_size=1, max_size=8)
amz_dates = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.strftime("%Y%m%dT%H%M%SZ")),
    st.sampled_from(["20150830T123600Z", "99991231T235959Z", "00010101T000000Z", "2015"]),
    anything,
)
credentials = st.one_of(
    anything,
    st.lists(anything, min_size=4, max_size=6).map("/".join),
    st.builds(
        "{}/{}/{}/{}/{}".format,
        anything, st.sampled_from(["20150830", "2015083x", ""]), anything, anything,
        st.sampled_from(["aws4_request", "aws5_request", ""]),
    ),
)
signed_header_lists = st.one_of(
    anything,
    st.lists(st.sampled_from(["host", "x-amz-date", "content-type", "x-amz-content-sha256", ""])
             | anything, max_size=5).map(lambda names: ";".join(["host", *names])),
)
authorizations = st.one_of(
    anything,
    st.builds(
        "{} Credential={}, SignedHeaders={}, Signature={}".format,
        st.sampled_from(["AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 ", "AWS", ""]),
        credentials, signed_header_lists, anything,
    ),
)
query_values = st.one_of(anything, st.text(alphabet="%0123456789abcdefABCDEFzZ+=&/", max_size=20))
presigned_queries = st.dictionaries(
    st.sampled_from(
        ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
         "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token", "Action", "é"]
    ),
    st.one_of(
        query_values, credentials, amz_dates, signed_header_lists,
        st.integers(-10, 10**7).map(str), st.just("AWS4-HMAC-SHA256"),
    ),
).map(lambda params: "&".join(f"{quote(k)}={quote(v, safe='%+&=', errors='surrogatepass')}" for k, v in params.items()))
header_names = st.one_of(
    st.sampled_from(["Host", "X-Amz-Date", "Date", "X-Amz-Content-SHA256",
                     "X-Amz-Security-Token", "Content-Type", "authorization"]),
    anything,
)
header_values = st.one_of(
    anything, amz_dates, st.sampled_from(["UNSIGNED-PAYLOAD", "e3b0" * 16, "Sun, 30 Aug 2015"]),
    st.text(min_size=2000, max_size=3000), st.characters(codec="utf-8").map(lambda c: c * 5000),
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "get", ""]) | anything,
    path=st.one_of(anything, st.text(alphabet="/.%2Eab ሴ", max_size=30)),
    query=st.one_of(anything, query_values, presigned_queries),
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    authorization=st.none() | authorizations,
    body=st.binary(max_size=200),
    secret=anything,
    skew=st.integers(-10**9, 10**9),
    normalize=st.booleans(),
)
@example(  # lone surrogates, invalid percent escapes, obs-fold, empty everything
    method="\ud800", path="/\udfff/%zz/..", query="%E1=%&%%=\ud800", headers=[("\ud800", "a\r\n b")],
    authorization="AWS4-HMAC-SHA256 Credential=\ud800/20150830/r/s/aws4_request, "
    "SignedHeaders=host, Signature=\ud800", body=b"", secret="\ud800", skew=0, normalize=True,
)
def test_it_only_ever_raises_sigv4_errors(
    method, path, query, headers, authorization, body, secret, skew, normalize
):
    if authorization is not None:
        headers = [*headers, ("Authorization", authorization)]
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
    st.text(alphabet=string.ascii_letters + string.digits + ".-_", min_size=1, max_size=20)
    .filter(lambda name: not name.lower().startswith("x-amz-")),  # reserved for SigV4
    st.text(max_size=30),
    max_size=5,
).map(lambda extra: {"Action": "GetCallerIdentity", "Version": "2011-06-15", **extra})
hosts = st.sampled_from(["iam.amazonaws.com", "sts.amazonaws.com", "127.0.0.1:8000", "localhost"])
paths = st.lists(
    st.text(alphabet=string.ascii_letters + " ./%~+ሴ", max_size=8), max_size=4
).map(lambda segments: quote("/" + "/".join(segments), safe="/~"))
tokens = st.none() | st.text(alphabet=string.ascii_letters + string.digits + "/+=", min_size=10)
sign_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))


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
        query = received["query_string"].replace(f"X-Amz-Signature={req.signature}",
                                                 f"X-Amz-Signature={flipped}")
        forged = {**received, "query_string": query}
    else:
        headers = [(n, v.replace(f"Signature={req.signature}", f"Signature={flipped}"))
                   for n, v in received["headers"]]
        forged = {**received, "headers": headers}
    with pytest.raises(sigv4.SignatureDoesNotMatch) as exc:
        sigv4.verify(sigv4.parse_request(**forged), secret_access_key=secret, now=now)
    assert exc.value.message == sigv4.MISMATCH_MESSAGE

    other_body = data.draw(st.binary(max_size=50).filter(lambda b: b != received["body"]))
    with pytest.raises(sigv4.SignatureDoesNotMatch) as exc:
        sigv4.verify(sigv4.parse_request(**{**received, "body": other_body}),
                     secret_access_key=secret, now=now)
    assert exc.value.message == sigv4.MISMATCH_MESSAGE


@ROUNDTRIP
@given(
    access_key=access_keys, secret=secrets, region=regions, service=st.sampled_from(["iam", "sts"]),
    action=params, host=hosts, path=paths, token=tokens, signed_at=sign_times,
    skew=st.integers(-900, 900), use_post=st.booleans(), data=st.data(),
)
def test_botocore_header_signed_requests_verify(
    access_key, secret, region, service, action, host, path, token, signed_at, skew, use_post, data
):
    if use_post:
        request = AWSRequest(
            method="POST",
            url=f"https://{host}{path}",
            data=percent_encode_sequence(action).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
    else:
        request = AWSRequest(method="GET", url=f"https://{host}{path}?{percent_encode_sequence(action)}")
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
    access_key=access_keys, secret=secrets, region=regions, service=st.sampled_from(["iam", "sts"]),
    action=params, host=hosts, path=paths, token=tokens, signed_at=sign_times,
    expires=st.integers(1, 604800), data=st.data(),
)
def test_botocore_presigned_urls_verify(
    access_key, secret, region, service, action, host, path, token, signed_at, expires, data
):
    request = AWSRequest(method="GET", url=f"https://{host}{path}?{percent_encode_sequence(action)}")
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
