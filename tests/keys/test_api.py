"""The AWS Query API at /api, through console.wsgi.application, signed by botocore's signers.

Each request is built as botocore builds it (an AWSRequest signed with SigV4Auth or
SigV4QueryAuth), then sent through the application gunicorn serves (tests/wsgi.py), so the
server sees exactly the bytes an SDK would send. The signing clock is botocore's
(``botocore.auth.get_current_datetime``), frozen where a test needs a request from
the past or the future.
"""

import logging
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from unittest import mock
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
from django.db import OperationalError, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Event
from keys.api import endpoint as api
from keys.exceptions import INVALID_CLIENT_TOKEN
from keys.models import AccessKey
from keys.services import access_key_deactivate, access_key_delete
from tests.factories import make_access_key
from tests.wsgi import WsgiClient

pytestmark = pytest.mark.django_db

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
ISO_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


# ------------------------------------------------------------------------------ helpers


def send(
    client: WsgiClient,
    *,
    key_id: str,
    secret: str,
    params: dict[str, str],
    service: str = "iam",
    region: str = "us-east-1",
    method: str = "POST",
    path: str = "/api/",
    signed_at: datetime | None = None,
    presign_expires: int | None = None,
    session_token: str | None = None,
    **meta: str,
):  # type: ignore[no-untyped-def]
    """Sign like botocore and send through the test client; returns the response.
    ``session_token`` signs with temporary credentials, as botocore does (the token signed
    along). ``meta`` adds WSGI environ entries, as a server such as gunicorn sets them."""
    url = f"http://testserver{path}"
    if method == "POST":
        request = AWSRequest(
            method="POST",
            url=url,
            data=percent_encode_sequence(params),
            headers={"Content-Type": FORM},
        )
    else:
        query = percent_encode_sequence(params)
        request = AWSRequest(method="GET", url=f"{url}?{query}" if query else url)
    credentials = Credentials(key_id, secret, session_token)
    signer = (
        SigV4QueryAuth(credentials, service, region, expires=presign_expires)
        if presign_expires is not None
        else SigV4Auth(credentials, service, region)
    )
    clock = (signed_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=clock):
        signer.add_auth(request)
    prepared = request.prepare()
    target = urlsplit(prepared.url)
    headers = {
        name: value
        for name, value in prepared.headers.items()
        if name.lower() not in ("content-type", "content-length")
    }
    headers["Host"] = "testserver"
    return client.generic(
        method,
        target.path + (f"?{target.query}" if target.query else ""),
        data=prepared.body or b"",
        content_type=prepared.headers.get("Content-Type", ""),
        headers=headers,
        **meta,
    )


def call(client: WsgiClient, new_key, action: str, *, secret: str | None = None, **params: str):  # type: ignore[no-untyped-def]
    """One signed call as the key's owner: STS actions go to sts, the others to iam."""
    sts = action in ("GetCallerIdentity", "GetAccessKeyInfo")
    return send(
        client,
        key_id=new_key.access_key.access_key_id,
        secret=new_key.secret_access_key if secret is None else secret,
        service="sts" if sts else "iam",
        params={"Action": action, "Version": STS_VERSION if sts else IAM_VERSION, **params},
    )


def document(response) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response["Content-Type"] == "text/xml"
    return ET.fromstring(response.content)  # noqa: S314 - the server under test


def namespace(root: ET.Element) -> str:
    return root.tag[1:].split("}")[0]


def find(root: ET.Element, path: str) -> ET.Element | None:
    ns = namespace(root)
    return root.find("/".join(f"{{{ns}}}{part}" for part in path.split("/")))


def text(root: ET.Element, path: str) -> str | None:
    element = find(root, path)
    return None if element is None else element.text


def assert_error(
    response, status: int, code: str, message: str | None = None, ns: str = IAM_NS
) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    root = document(response)
    assert root.tag == f"{{{ns}}}ErrorResponse"
    assert text(root, "Error/Type") == "Sender"
    assert text(root, "Error/Code") == code
    if message is not None:
        assert text(root, "Error/Message") == message
    assert text(root, "RequestId") == response["x-amzn-RequestId"]
    assert response["Cache-Control"] == "no-store"
    return root


def assert_success(response, action: str, ns: str = IAM_NS) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    root = document(response)
    assert root.tag == f"{{{ns}}}{action}Response"
    request_id = text(root, "ResponseMetadata/RequestId")
    assert request_id == response["x-amzn-RequestId"] == response["X-Request-ID"]
    uuid.UUID(request_id)
    assert response["Cache-Control"] == "no-store"
    return root


def reload(new_key) -> AccessKey:  # type: ignore[no-untyped-def]
    return AccessKey.objects.get(pk=new_key.access_key.access_key_id)


# ------------------------------------------------------------------------- STS actions


def test_get_caller_identity_names_the_root_user(client, alice, alice_key):
    response = call(client, alice_key, "GetCallerIdentity")
    root = assert_success(response, "GetCallerIdentity", STS_NS)
    assert text(root, "GetCallerIdentityResult/Account") == alice.account_id
    assert text(root, "GetCallerIdentityResult/UserId") == alice.account_id
    assert text(root, "GetCallerIdentityResult/Arn") == f"arn:aws:iam::{alice.account_id}:root"


@pytest.mark.parametrize("path", ["/api", "/api/"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_both_paths_and_both_methods_answer_without_redirect(
    client, alice, alice_key, path, method
):
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        service="sts",
        method=method,
        path=path,
        params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
    )
    root = assert_success(response, "GetCallerIdentity", STS_NS)
    assert text(root, "GetCallerIdentityResult/Account") == alice.account_id


def test_the_api_never_touches_the_session(client, alice_client, alice_key):
    response = call(client, alice_key, "GetCallerIdentity")
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    # A signed-in browser session authenticates nothing here.
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in alice_client.cookies.items())
    unsigned = client.generic(
        "POST",
        "/api/",
        f"Action=GetCallerIdentity&Version={STS_VERSION}",
        content_type=FORM,
        headers={"Cookie": cookies},
    )
    assert_error(unsigned, 403, "MissingAuthenticationToken", ns=STS_NS)
    assert not unsigned.cookies


def test_a_presigned_url_works_until_it_expires(client, alice, alice_key):
    def presigned(signed_at: datetime):  # type: ignore[no-untyped-def]
        return send(
            client,
            key_id=alice_key.access_key.access_key_id,
            secret=alice_key.secret_access_key,
            service="sts",
            method="GET",
            params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
            signed_at=signed_at,
            presign_expires=60,
        )

    fresh = presigned(datetime.now(UTC) - timedelta(seconds=30))
    root = assert_success(fresh, "GetCallerIdentity", STS_NS)
    assert text(root, "GetCallerIdentityResult/Account") == alice.account_id
    stale = presigned(datetime.now(UTC) - timedelta(seconds=120))
    root = assert_error(stale, 403, "SignatureDoesNotMatch", ns=STS_NS)
    assert text(root, "Error/Message").startswith("Signature expired: ")
    assert text(root, "Error/Message").endswith(" - 60 sec.)")


def test_the_raw_path_from_gunicorn_is_what_gets_verified(client, alice_key):
    def identity(raw_uri: str):  # type: ignore[no-untyped-def]
        return send(
            client,
            key_id=alice_key.access_key.access_key_id,
            secret=alice_key.secret_access_key,
            service="sts",
            method="GET",
            path="/api/",
            params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
            RAW_URI=raw_uri,
        )

    assert_success(identity("/api/?Action=GetCallerIdentity"), "GetCallerIdentity", STS_NS)
    # The path the client signed is the one gunicorn received, not Django's decoded one.
    assert_error(identity("/%61pi/"), 403, "SignatureDoesNotMatch", MISMATCH, ns=STS_NS)


def test_get_access_key_info_decodes_the_account_of_any_key(
    client, alice_key, mallory, mallory_key
):
    response = call(
        client, alice_key, "GetAccessKeyInfo", AccessKeyId=mallory_key.access_key.access_key_id
    )
    root = assert_success(response, "GetAccessKeyInfo", STS_NS)
    assert text(root, "GetAccessKeyInfoResult/Account") == mallory.account_id
    # AWS's documentation example key decodes to the account AWS itself answers.
    example = call(client, alice_key, "GetAccessKeyInfo", AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert (
        text(assert_success(example, "GetAccessKeyInfo", STS_NS), "GetAccessKeyInfoResult/Account")
        == "581039954779"
    )


@pytest.mark.parametrize(
    ("access_key_id", "message"),
    [
        (
            "AKIA-not-a-key-id!",
            "1 validation error detected: Value 'AKIA-not-a-key-id!' at "
            "'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression "
            "pattern: [\\w]*",
        ),
        (
            "AKIASHORT",
            "1 validation error detected: Value 'AKIASHORT' at 'accessKeyId' failed "
            "to satisfy constraint: Member must have length greater than or equal to 16",
        ),
        ("ZZZZ" + "A" * 16, None),
        (
            None,
            "1 validation error detected: Value null at 'accessKeyId' failed to satisfy "
            "constraint: Member must not be null",
        ),
    ],
)
def test_get_access_key_info_refuses_malformed_ids(client, alice_key, access_key_id, message):
    params = {} if access_key_id is None else {"AccessKeyId": access_key_id}
    response = call(client, alice_key, "GetAccessKeyInfo", **params)
    assert_error(response, 400, "ValidationError", message, ns=STS_NS)


# ------------------------------------------------------------------------- IAM actions


def test_create_access_key_returns_a_working_secret_once(client, alice, alice_key):
    response = call(client, alice_key, "CreateAccessKey")
    root = assert_success(response, "CreateAccessKey")
    new_id = text(root, "CreateAccessKeyResult/AccessKey/AccessKeyId")
    secret = text(root, "CreateAccessKeyResult/AccessKey/SecretAccessKey")
    assert text(root, "CreateAccessKeyResult/AccessKey/Status") == "Active"
    assert ISO_SECONDS.fullmatch(text(root, "CreateAccessKeyResult/AccessKey/CreateDate"))
    assert find(root, "CreateAccessKeyResult/AccessKey/UserName") is None  # root: no name
    stored = AccessKey.objects.get(pk=new_id)
    assert stored.owner == alice
    assert stored.secret_access_key() == secret
    assert secret not in stored.secret_ciphertext
    # The new secret signs requests at once.
    again = send(
        client,
        key_id=new_id,
        secret=secret,
        service="sts",
        params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
    )
    assert_success(again, "GetCallerIdentity", STS_NS)


def test_create_refuses_a_third_key(client, alice, alice_key):
    make_access_key(alice)
    response = call(client, alice_key, "CreateAccessKey")
    assert_error(response, 409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
    assert AccessKey.objects.for_owner(alice).count() == 2


def test_list_access_keys_lists_the_accounts_keys_only(client, alice, alice_key, mallory_key):
    second = make_access_key(alice)
    response = call(client, alice_key, "ListAccessKeys")
    root = assert_success(response, "ListAccessKeys")
    members = find(root, "ListAccessKeysResult/AccessKeyMetadata")
    listed = [text(member, "AccessKeyId") for member in members]
    assert listed == [alice_key.access_key.access_key_id, second.access_key.access_key_id]
    assert mallory_key.access_key.access_key_id not in response.content.decode()
    for member in members:
        assert text(member, "Status") == "Active"
        assert ISO_SECONDS.fullmatch(text(member, "CreateDate"))
        assert find(member, "UserName") is None
    assert text(root, "ListAccessKeysResult/IsTruncated") == "false"
    assert alice_key.secret_access_key not in response.content.decode()


def test_list_access_keys_pages_with_max_items_and_marker(client, alice, alice_key):
    second = make_access_key(alice)
    first_page = assert_success(
        call(client, alice_key, "ListAccessKeys", MaxItems="1"), "ListAccessKeys"
    )
    assert text(first_page, "ListAccessKeysResult/IsTruncated") == "true"
    marker = text(first_page, "ListAccessKeysResult/Marker")
    second_page = assert_success(
        call(client, alice_key, "ListAccessKeys", MaxItems="1", Marker=marker), "ListAccessKeys"
    )
    assert text(second_page, "ListAccessKeysResult/IsTruncated") == "false"
    members = find(second_page, "ListAccessKeysResult/AccessKeyMetadata")
    assert [text(m, "AccessKeyId") for m in members] == [second.access_key.access_key_id]
    assert_error(
        call(client, alice_key, "ListAccessKeys", MaxItems="0"),
        400,
        "ValidationError",
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1",
    )


def test_update_access_key_deactivates_and_reactivates(client, alice, alice_key):
    second = make_access_key(alice)
    second_id = second.access_key.access_key_id
    response = call(client, alice_key, "UpdateAccessKey", AccessKeyId=second_id, Status="Inactive")
    root = assert_success(response, "UpdateAccessKey")
    assert find(root, "UpdateAccessKeyResult") is None  # AWS sends metadata only
    assert reload(second).status == "Inactive"
    # The inactive key authenticates nothing from that moment on.
    assert_error(
        call(client, second, "GetCallerIdentity"),
        403,
        "InvalidClientTokenId",
        INVALID_CLIENT_TOKEN,
        ns=STS_NS,
    )
    assert_success(
        call(client, alice_key, "UpdateAccessKey", AccessKeyId=second_id, Status="Active"),
        "UpdateAccessKey",
    )
    assert reload(second).status == "Active"
    assert_success(call(client, second, "GetCallerIdentity"), "GetCallerIdentity", STS_NS)


def test_a_key_can_make_itself_inactive_and_is_refused_next(client, alice_key):
    assert_success(
        call(
            client,
            alice_key,
            "UpdateAccessKey",
            AccessKeyId=alice_key.access_key.access_key_id,
            Status="Inactive",
        ),
        "UpdateAccessKey",
    )
    assert_error(
        call(client, alice_key, "ListAccessKeys"),
        403,
        "InvalidClientTokenId",
        INVALID_CLIENT_TOKEN,
    )


def test_update_refuses_a_status_outside_the_enum(client, alice, alice_key):
    second = make_access_key(alice)
    response = call(
        client,
        alice_key,
        "UpdateAccessKey",
        AccessKeyId=second.access_key.access_key_id,
        Status="Foo",
    )
    assert_error(
        response,
        400,
        "ValidationError",
        "1 validation error detected: Value 'Foo' at 'status' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Active, Inactive]",
    )
    assert reload(second).status == "Active"


def test_update_reports_every_missing_parameter(client, alice_key):
    response = call(client, alice_key, "UpdateAccessKey")
    assert_error(
        response,
        400,
        "ValidationError",
        "2 validation errors detected: "
        "Value null at 'accessKeyId' failed to satisfy constraint: Member must not be "
        "null; Value null at 'status' failed to satisfy constraint: Member must not be "
        "null",
    )


def test_delete_access_key_deletes_for_ever(client, alice, alice_key):
    second = make_access_key(alice)
    second_id = second.access_key.access_key_id
    root = assert_success(
        call(client, alice_key, "DeleteAccessKey", AccessKeyId=second_id), "DeleteAccessKey"
    )
    assert find(root, "DeleteAccessKeyResult") is None
    assert not AccessKey.objects.filter(pk=second_id).exists()
    assert_error(call(client, second, "GetCallerIdentity"), 403, "InvalidClientTokenId", ns=STS_NS)
    assert_error(
        call(client, alice_key, "DeleteAccessKey", AccessKeyId=second_id),
        404,
        "NoSuchEntity",
        f"The Access Key with id {second_id} cannot be found.",
    )


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("UpdateAccessKey", {"Status": "Inactive"}),
        ("DeleteAccessKey", {}),
        ("GetAccessKeyLastUsed", {}),
    ],
)
def test_another_accounts_key_is_not_found_and_unchanged(
    client, alice_key, mallory_key, action, params
):
    mallory_id = mallory_key.access_key.access_key_id
    response = call(client, alice_key, action, AccessKeyId=mallory_id, **params)
    assert_error(
        response, 404, "NoSuchEntity", f"The Access Key with id {mallory_id} cannot be found."
    )
    untouched = reload(mallory_key)
    assert untouched.status == "Active"
    assert untouched.last_used_at is None
    assert_success(call(client, mallory_key, "GetCallerIdentity"), "GetCallerIdentity", STS_NS)


def test_naming_an_iam_user_is_naming_an_unknown_user(client, alice, alice_key):
    response = call(client, alice_key, "CreateAccessKey", UserName="bob")
    assert_error(response, 404, "NoSuchEntity", "The user with name bob cannot be found.")
    assert AccessKey.objects.for_owner(alice).count() == 1


def test_get_access_key_last_used_sees_its_own_call(client, alice_key):
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    response = call(
        client, alice_key, "GetAccessKeyLastUsed", AccessKeyId=alice_key.access_key.access_key_id
    )
    root = assert_success(response, "GetAccessKeyLastUsed")
    assert text(root, "GetAccessKeyLastUsedResult/AccessKeyLastUsed/ServiceName") == "iam"
    assert text(root, "GetAccessKeyLastUsedResult/AccessKeyLastUsed/Region") == "us-east-1"
    used = text(root, "GetAccessKeyLastUsedResult/AccessKeyLastUsed/LastUsedDate")
    assert used.endswith(":00Z")  # AWS reports last use to the minute
    used_at = datetime.strptime(used, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= used_at <= datetime.now(UTC)
    assert find(root, "GetAccessKeyLastUsedResult/UserName") is None


def test_get_access_key_last_used_of_a_never_used_key_says_na(client, alice, alice_key):
    second = make_access_key(alice)
    response = call(
        client, alice_key, "GetAccessKeyLastUsed", AccessKeyId=second.access_key.access_key_id
    )
    root = assert_success(response, "GetAccessKeyLastUsed")
    assert text(root, "GetAccessKeyLastUsedResult/AccessKeyLastUsed/Region") == "N/A"
    assert text(root, "GetAccessKeyLastUsedResult/AccessKeyLastUsed/ServiceName") == "N/A"
    assert find(root, "GetAccessKeyLastUsedResult/AccessKeyLastUsed/LastUsedDate") is None


def test_every_verified_request_records_its_region_and_service(client, alice_key):
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        service="sts",
        region="eu-west-3",
        params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
    )
    assert response.status_code == 200
    stored = reload(alice_key)
    assert (stored.last_used_service, stored.last_used_region) == ("sts", "eu-west-3")
    assert stored.last_used_at.second == 0 and stored.last_used_at.microsecond == 0
    assert datetime.now(UTC) - stored.last_used_at < timedelta(minutes=1, seconds=5)


def test_get_account_summary_has_awss_keys(client, alice_key):
    response = call(client, alice_key, "GetAccountSummary")
    root = assert_success(response, "GetAccountSummary")
    entries = find(root, "GetAccountSummaryResult/SummaryMap")
    summary = {text(entry, "key"): int(text(entry, "value")) for entry in entries}
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccessKeysPerUserQuota"] == 2
    assert summary["AccountMFAEnabled"] == 0
    assert summary["Users"] == 0
    known = botocore.session.get_session().get_service_model("iam").shape_for("summaryKeyType")
    assert set(summary) <= set(known.enum)
    assert len(summary) >= 30


# ---------------------------------------------------------------------- authentication


def test_an_unknown_key_is_an_invalid_client_token(client):
    for key_id in ("AKIAIOSFODNN7EXAMPLE", "not-even-a-key-id", "A" * 300):
        response = send(
            client,
            key_id=key_id,
            secret="x" * 40,
            service="sts",
            params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
        )
        assert_error(response, 403, "InvalidClientTokenId", INVALID_CLIENT_TOKEN, ns=STS_NS)


def test_an_inactive_key_is_an_invalid_client_token(client, alice_key):
    access_key_deactivate(access_key=alice_key.access_key)
    assert_error(
        call(client, alice_key, "ListAccessKeys"),
        403,
        "InvalidClientTokenId",
        INVALID_CLIENT_TOKEN,
    )
    assert reload(alice_key).last_used_at is None


def test_a_deleted_key_is_an_invalid_client_token(client, alice_key):
    access_key_delete(access_key=alice_key.access_key)
    assert_error(
        call(client, alice_key, "ListAccessKeys"),
        403,
        "InvalidClientTokenId",
        INVALID_CLIENT_TOKEN,
    )


def test_a_wrong_secret_does_not_match(client, alice_key):
    response = call(client, alice_key, "GetCallerIdentity", secret="w" * 40)
    assert_error(response, 403, "SignatureDoesNotMatch", MISMATCH, ns=STS_NS)
    assert reload(alice_key).last_used_at is None


def test_a_body_cannot_be_swapped_under_an_unsigned_payload(client, alice, alice_key):
    """UNSIGNED-PAYLOAD (S3's opt-out, which botocore sends over HTTPS when payload signing is
    off) would leave the Action and parameters unsigned: captured headers could carry a
    CreateAccessKey. It is refused for any body, and nothing changes."""
    listing = percent_encode_sequence({"Action": "ListAccessKeys", "Version": IAM_VERSION})
    request = AWSRequest(
        method="POST", url="https://testserver/api/", data=listing, headers={"Content-Type": FORM}
    )
    request.context["payload_signing_enabled"] = False
    credentials = Credentials(alice_key.access_key.access_key_id, alice_key.secret_access_key)
    SigV4Auth(credentials, "iam", "us-east-1").add_auth(request)
    headers = {
        name: value
        for name, value in request.prepare().headers.items()
        if name.lower() not in ("content-type", "content-length")
    }
    assert headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    swapped = percent_encode_sequence({"Action": "CreateAccessKey", "Version": IAM_VERSION})
    for body in (listing, swapped):
        response = client.generic(
            "POST", "/api/", data=body, content_type=FORM, headers=headers | {"Host": "testserver"}
        )
        assert_error(response, 400, "XAmzContentSHA256Mismatch")
    assert AccessKey.objects.filter(owner=alice).count() == 1
    assert reload(alice_key).last_used_at is None


def test_a_session_token_is_refused(client, alice_key):
    request = AWSRequest(
        method="POST",
        url="http://testserver/api/",
        data="Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": FORM},
    )
    SigV4Auth(
        Credentials(
            alice_key.access_key.access_key_id, alice_key.secret_access_key, "some-session-token"
        ),
        "sts",
        "us-east-1",
    ).add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
    response = client.post(
        "/api/", data=request.body, content_type=FORM, headers={**headers, "Host": "testserver"}
    )
    assert_error(response, 403, "InvalidClientTokenId", ns=STS_NS)


@pytest.mark.parametrize(
    ("offset", "prefix"),
    [
        (timedelta(minutes=-16), "Signature expired: "),
        (timedelta(minutes=16), "Signature not yet current: "),
    ],
)
def test_a_signature_outside_the_clock_window_is_refused(client, alice_key, offset, prefix):
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        service="sts",
        params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
        signed_at=datetime.now(UTC) + offset,
    )
    root = assert_error(response, 403, "SignatureDoesNotMatch", ns=STS_NS)
    assert text(root, "Error/Message").startswith(prefix)
    assert "15 min." in text(root, "Error/Message")


@pytest.mark.parametrize("offset", [timedelta(minutes=-14), timedelta(minutes=14)])
def test_a_signature_inside_the_clock_window_is_accepted(client, alice_key, offset):
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        service="sts",
        params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
        signed_at=datetime.now(UTC) + offset,
    )
    assert_success(response, "GetCallerIdentity", STS_NS)


def test_no_authentication_is_a_missing_token(client, alice_key):
    response = client.post("/api/", {"Action": "ListAccessKeys", "Version": IAM_VERSION})
    assert_error(
        response, 403, "MissingAuthenticationToken", "Request is missing Authentication Token"
    )
    get = client.get("/api", {"Action": "GetCallerIdentity", "Version": STS_VERSION})
    assert_error(get, 403, "MissingAuthenticationToken", ns=STS_NS)


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request",
        "AWS4-HMAC-SHA256 garbage",
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=00",
    ],
)
def test_a_malformed_authorization_is_an_incomplete_signature(client, authorization):
    response = client.post(
        "/api/",
        {"Action": "ListAccessKeys", "Version": IAM_VERSION},
        headers={"Authorization": authorization, "X-Amz-Date": "20260101T000000Z"},
    )
    assert_error(response, 400, "IncompleteSignature")


def test_a_scope_for_another_service_is_refused(client, alice_key):
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        service="s3",
        params={"Action": "ListAccessKeys", "Version": IAM_VERSION},
    )
    assert_error(
        response,
        403,
        "SignatureDoesNotMatch",
        "Credential should be scoped to correct service: 'iam'. ",
    )


def test_an_unknown_action_is_invalid(client, alice_key):
    assert_error(
        call(client, alice_key, "Foo"),
        400,
        "InvalidAction",
        "Could not find operation Foo for version 2010-05-08",
    )
    # An STS action signed for IAM is not an IAM operation, and vice versa.
    assert_error(
        call(client, alice_key, "GetCallerIdentity", Version=IAM_VERSION),
        400,
        "InvalidAction",
        "Could not find operation GetCallerIdentity for version 2010-05-08",
        ns=STS_NS,
    )


def test_a_missing_action_or_version_is_refused(client, alice_key):
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        params={"Version": IAM_VERSION},
    )
    assert_error(response, 400, "MissingAction", "Missing Action")
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        params={"Action": "ListAccessKeys"},
    )
    assert_error(
        response,
        400,
        "InvalidAction",
        "Could not find operation ListAccessKeys for version NO_VERSION_SPECIFIED",
    )


def test_other_methods_get_an_xml_405(client):
    response = client.put("/api/", "Action=ListAccessKeys")
    assert_error(response, 405, "MethodNotAllowed")
    assert response["Allow"] == "GET, POST"


def test_an_unexpected_failure_is_an_xml_500_logged_without_secrets(
    client, alice_key, monkeypatch, caplog
):
    def broken(caller, params):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setitem(api.OPERATIONS, ("iam", "ListAccessKeys"), broken)
    with caplog.at_level(logging.DEBUG):
        response = call(client, alice_key, "ListAccessKeys")
    assert response.status_code == 500
    root = document(response)
    assert text(root, "Error/Type") == "Receiver"
    assert text(root, "Error/Code") == "ServiceFailure"
    request_id = response["x-amzn-RequestId"]
    assert any(
        request_id in record.getMessage() and record.exc_info
        for record in caplog.records
        if record.name == "keys.api.endpoint"
    )
    assert alice_key.secret_access_key not in caplog.text


def test_a_database_outage_is_an_xml_503_that_sdks_retry(client, alice_key, monkeypatch):
    def unavailable(caller, params):  # type: ignore[no-untyped-def]
        raise OperationalError("database is locked")

    monkeypatch.setitem(api.OPERATIONS, ("sts", "GetCallerIdentity"), unavailable)
    response = call(client, alice_key, "GetCallerIdentity")
    assert response.status_code == 503
    root = document(response)
    assert root.tag == f"{{{STS_NS}}}ErrorResponse"
    assert text(root, "Error/Code") == "ServiceUnavailable"
    assert text(root, "Error/Type") == "Receiver"
    assert response["Retry-After"] == "5"


def test_writes_through_the_api_enter_the_event_history(client, alice, alice_key):
    created = call(client, alice_key, "CreateAccessKey")
    new_id = text(document(created), "CreateAccessKeyResult/AccessKey/AccessKeyId")
    call(client, alice_key, "UpdateAccessKey", AccessKeyId=new_id, Status="Inactive")
    call(client, alice_key, "DeleteAccessKey", AccessKeyId=new_id)
    events = Event.objects.filter(account=alice, access_key_id=new_id).order_by("id")
    assert [(e.action, e.channel) for e in events] == [
        ("CreateAccessKey", "api"),
        ("DeactivateAccessKey", "api"),
        ("DeleteAccessKey", "api"),
    ]


# -------------------------------------------------------------------------- hot path


@pytest.fixture
def frozen_server_clock(monkeypatch):  # type: ignore[no-untyped-def]
    """The server's clock stopped at one instant, so a second call is surely in the same
    minute as the first (its last use then needs no write)."""
    instant = datetime.now(UTC)
    monkeypatch.setattr(api, "timezone", SimpleNamespace(now=lambda: instant))
    return instant


@pytest.mark.parametrize("action", ["GetCallerIdentity", "ListAccessKeys"])
def test_the_hot_path_is_one_read_and_at_most_one_write(
    client,
    alice,
    alice_key,
    action,
    frozen_server_clock,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    make_access_key(alice)
    with django_assert_max_num_queries(2):  # cold: the key lookup and the last-use write
        assert call(client, alice_key, action).status_code == 200
    with django_assert_num_queries(1):  # warm: the lookup alone
        assert call(client, alice_key, action).status_code == 200


def test_refusals_cost_at_most_the_lookup(client, alice_key, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        call(client, alice_key, "GetCallerIdentity", secret="w" * 40)
    with django_assert_max_num_queries(0):
        client.post("/api/", {"Action": "ListAccessKeys"})


# ------------------------------------------------------------------------ properties

PARAM_NAMES = st.sampled_from(
    ["AccessKeyId", "Status", "UserName", "MaxItems", "Marker", "Foo", "X-Amz-Date"]
) | st.text(min_size=1, max_size=20)
ACTIONS = st.sampled_from(sorted({action for _, action in api.OPERATIONS} | {"", "Foo"})) | st.text(
    max_size=40
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    action=ACTIONS,
    version=st.sampled_from([IAM_VERSION, STS_VERSION, None, ""]) | st.text(max_size=12),
    service=st.sampled_from(["iam", "sts"]),
    method=st.sampled_from(["GET", "POST"]),
    params=st.dictionaries(PARAM_NAMES, st.text(max_size=60), max_size=4),
)
def test_any_action_and_parameters_get_aws_xml_never_a_500(
    client, alice, alice_key, action, version, service, method, params
):
    params = {**params, "Action": action}
    if version is not None:
        params["Version"] = version
    if params.get("AccessKeyId") == alice_key.access_key.access_key_id:
        del params["AccessKeyId"]  # keep the signing key alive for the next example
    response = send(
        client,
        key_id=alice_key.access_key.access_key_id,
        secret=alice_key.secret_access_key,
        service=service,
        method=method,
        params=params,
    )
    # 410: GetCredentialReport before any report exists.
    assert response.status_code in (200, 400, 403, 404, 409, 410), response.content
    root = document(response)
    assert root.tag.startswith(("{" + IAM_NS + "}", "{" + STS_NS + "}"))
    if response.status_code != 200:
        assert root.tag.endswith("}ErrorResponse")
        assert text(root, "Error/Code")


# -------------------------------------------------------------------------- logging


def test_no_secret_access_key_ever_reaches_the_logs(client, alice, alice_key, caplog):
    """Every API flow, with SQL logging forced on, logs nothing that contains a secret."""
    secrets = [alice_key.secret_access_key]
    connection.force_debug_cursor = True  # log every SQL statement and its parameters
    try:
        # The root logger, and Django's own, whose INFO level would hide the SQL log.
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django"):
            created = call(client, alice_key, "CreateAccessKey")
            new_secret = text(document(created), "CreateAccessKeyResult/AccessKey/SecretAccessKey")
            new_id = text(document(created), "CreateAccessKeyResult/AccessKey/AccessKeyId")
            secrets.append(new_secret)
            for action, params in [
                ("GetCallerIdentity", {}),
                ("ListAccessKeys", {}),
                ("GetAccountSummary", {}),
                ("GetAccessKeyLastUsed", {"AccessKeyId": new_id}),
                ("GetAccessKeyInfo", {"AccessKeyId": new_id}),
                ("UpdateAccessKey", {"AccessKeyId": new_id, "Status": "Inactive"}),
                ("CreateAccessKey", {}),
                ("UpdateAccessKey", {"AccessKeyId": new_id, "Status": "Bogus"}),
                ("DeleteAccessKey", {"AccessKeyId": new_id}),
            ]:
                call(client, alice_key, action, **params)
            call(client, alice_key, "GetCallerIdentity", secret="w" * 40)
            client.post("/api/", {"Action": "ListAccessKeys"})
    finally:
        connection.force_debug_cursor = False
    assert any(record.name == "django.db.backends" for record in caplog.records)
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    for secret in secrets:
        assert secret not in logged


def test_the_clock_skew_window_follows_the_setting(settings):
    from datetime import UTC, datetime, timedelta

    from keys import sigv4

    parsed = sigv4.parse_request(
        method="GET",
        path="/",
        query_string="",
        headers=[
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                "service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
            ),
        ],
        body=b"",
    )
    now = datetime(2015, 8, 30, 12, 36, tzinfo=UTC) + timedelta(minutes=6)
    with pytest.raises(
        sigv4.SignatureDoesNotMatch, match=r"expired: .* \(20150830T124200Z - 5 min\.\)"
    ):
        sigv4.verify(parsed, secret_access_key="x", now=now, clock_skew=timedelta(minutes=5))
    with pytest.raises(sigv4.SignatureDoesNotMatch, match="does not match"):
        sigv4.verify(parsed, secret_access_key="x", now=now)  # inside 15 minutes: the signature


def test_the_request_id_is_the_servers_unless_a_trusted_proxy_gave_one(client, alice_key, settings):
    chosen = "lb-1234567890"

    def request_id() -> str | None:
        response = send(
            client,
            key_id=alice_key.access_key.access_key_id,
            secret=alice_key.secret_access_key,
            service="sts",
            params={"Action": "GetCallerIdentity", "Version": STS_VERSION},
            HTTP_X_REQUEST_ID=chosen,
        )
        assert response.status_code == 200, response.content
        assert response["x-amzn-RequestId"] == response["X-Request-ID"]
        return text(document(response), "ResponseMetadata/RequestId")

    assert request_id() != chosen
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]  # RequestFactory's REMOTE_ADDR
    assert request_id() == chosen
