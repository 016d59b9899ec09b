"""boto3, unmodified, against the live server's /api: every action, every error, the clock."""

import csv
import io
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import boto3
import pyotp
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from django.db.models import F

from accounts.mfa import serial_number
from keys.credential_report import REPORT_LIFETIME, CredentialReport
from keys.exceptions import MfaCodeInvalid, MfaNotValidated
from keys.models import AccessKey
from keys.services import access_key_activate
from tests.factories import make_access_key, make_totp_device

STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
MFA_CODE_INVALID = str(MfaCodeInvalid())
MFA_NOT_VALIDATED = str(MfaNotValidated())


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@pytest.fixture
def sts(aws_client, root_key):  # type: ignore[no-untyped-def]
    return aws_client("sts", root_key.access_key.access_key_id, root_key.secret_access_key)


@pytest.fixture
def iam(aws_client, root_key):  # type: ignore[no-untyped-def]
    return aws_client("iam", root_key.access_key.access_key_id, root_key.secret_access_key)


def test_sts_get_caller_identity_and_get_access_key_info(sts, root, outsider_key):
    identity = sts.get_caller_identity()
    assert identity["Account"] == root.account_id
    assert identity["UserId"] == root.account_id
    assert identity["Arn"] == f"arn:aws:iam::{root.account_id}:root"
    assert identity["ResponseMetadata"]["RequestId"]
    info = sts.get_access_key_info(AccessKeyId=outsider_key.access_key.access_key_id)
    assert info["Account"] == outsider_key.access_key.owner.account_id
    with pytest.raises(ClientError) as excinfo:
        sts.get_access_key_info(AccessKeyId="AKIA0000000000000000")  # 0 and 1 are not base32
    assert error_of(excinfo)[:2] == ("ValidationError", 400)


def test_the_key_lifecycle_through_iam(iam, aws_client, root, root_key):
    created = iam.create_access_key()["AccessKey"]
    assert created["Status"] == "Active"
    assert created["CreateDate"].tzinfo is not None
    assert abs(datetime.now(UTC) - created["CreateDate"]) < timedelta(minutes=1)
    new_id, new_secret = created["AccessKeyId"], created["SecretAccessKey"]
    assert AccessKey.objects.get(pk=new_id).owner == root

    listed = iam.list_access_keys()
    assert [k["AccessKeyId"] for k in listed["AccessKeyMetadata"]] == [
        root_key.access_key.access_key_id,
        new_id,
    ]
    assert listed["IsTruncated"] is False

    # The new key works at once; made inactive, it stops; made active, it works again.
    new_sts = aws_client("sts", new_id, new_secret)
    assert new_sts.get_caller_identity()["Account"] == root.account_id
    iam.update_access_key(AccessKeyId=new_id, Status="Inactive")
    with pytest.raises(ClientError) as excinfo:
        new_sts.get_caller_identity()
    assert error_of(excinfo) == (
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    )
    iam.update_access_key(AccessKeyId=new_id, Status="Active")
    assert new_sts.get_caller_identity()["Account"] == root.account_id

    last_used = iam.get_access_key_last_used(AccessKeyId=new_id)["AccessKeyLastUsed"]
    assert (last_used["ServiceName"], last_used["Region"]) == ("sts", "us-east-1")
    assert last_used["LastUsedDate"].second == 0

    iam.delete_access_key(AccessKeyId=new_id)
    assert not AccessKey.objects.filter(pk=new_id).exists()
    with pytest.raises(ClientError) as excinfo:
        new_sts.get_caller_identity()
    assert error_of(excinfo)[:2] == ("InvalidClientTokenId", 403)


def test_a_third_key_exceeds_the_limit(iam, root):
    make_access_key(root)
    with pytest.raises(ClientError) as excinfo:
        iam.create_access_key()
    assert error_of(excinfo) == (
        "LimitExceeded",
        409,
        "Cannot exceed quota for AccessKeysPerUser: 2",
    )
    assert AccessKey.objects.for_owner(root).count() == 2


def test_get_access_key_last_used_sees_itself_and_na_for_a_fresh_key(iam, root, root_key):
    own = iam.get_access_key_last_used(AccessKeyId=root_key.access_key.access_key_id)
    assert own["AccessKeyLastUsed"]["ServiceName"] == "iam"
    assert own["AccessKeyLastUsed"]["Region"] == "us-east-1"
    assert "LastUsedDate" in own["AccessKeyLastUsed"]
    fresh = make_access_key(root).access_key.access_key_id
    never = iam.get_access_key_last_used(AccessKeyId=fresh)["AccessKeyLastUsed"]
    assert never == {"Region": "N/A", "ServiceName": "N/A"}


def test_get_account_summary(iam):
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccessKeysPerUserQuota"] == 2
    assert summary["AccountMFAEnabled"] == 0
    assert summary["Users"] == 0


@pytest.mark.parametrize(
    ("call", "params"),
    [
        ("update_access_key", {"Status": "Inactive"}),
        ("delete_access_key", {}),
        ("get_access_key_last_used", {}),
    ],
)
def test_another_accounts_key_is_not_found(iam, outsider_key, call, params):
    outsider_id = outsider_key.access_key.access_key_id
    with pytest.raises(ClientError) as excinfo:
        getattr(iam, call)(AccessKeyId=outsider_id, **params)
    assert error_of(excinfo) == (
        "NoSuchEntity",
        404,
        f"The Access Key with id {outsider_id} cannot be found.",
    )
    untouched = AccessKey.objects.get(pk=outsider_id)
    assert untouched.status == "Active" and untouched.last_used_at is None


def test_a_bad_status_is_a_validation_error(iam, root):
    other = make_access_key(root).access_key.access_key_id
    # "Expired" passes botocore's own enum check, so it reaches the server.
    with pytest.raises(ClientError) as excinfo:
        iam.update_access_key(AccessKeyId=other, Status="Expired")
    assert error_of(excinfo) == (
        "ValidationError",
        400,
        "1 validation error detected: Value 'Expired' at 'status' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Active, Inactive]",
    )


def test_unknown_and_wrong_credentials(aws_client, root_key):
    unknown = aws_client("sts", "AKIAIOSFODNN7EXAMPLE", "x" * 40)
    with pytest.raises(ClientError) as excinfo:
        unknown.get_caller_identity()
    assert error_of(excinfo)[:2] == ("InvalidClientTokenId", 403)
    wrong = aws_client("iam", root_key.access_key.access_key_id, "w" * 40)
    with pytest.raises(ClientError) as excinfo:
        wrong.list_access_keys()
    code, status, message = error_of(excinfo)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match")


def test_a_key_made_inactive_in_the_console_fails_its_very_next_call(sts, root, root_key, console):
    assert sts.get_caller_identity()["Account"] == root.account_id
    console.sign_in(root.email)
    console.post(
        f"/iam/security_credentials/access-keys/{root_key.access_key.access_key_id}/deactivate"
    )
    assert AccessKey.objects.get(pk=root_key.access_key.access_key_id).status == "Inactive"
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    assert error_of(excinfo)[:2] == ("InvalidClientTokenId", 403)


def test_operations_this_endpoint_does_not_offer_are_invalid_actions(sts, iam):
    with pytest.raises(ClientError) as excinfo:
        sts.get_federation_token(Name="someone")
    assert error_of(excinfo) == (
        "InvalidAction",
        400,
        "Could not find operation GetFederationToken for version 2011-06-15",
    )
    with pytest.raises(ClientError) as excinfo:
        iam.list_users()
    assert error_of(excinfo) == (
        "InvalidAction",
        400,
        "Could not find operation ListUsers for version 2010-05-08",
    )


def test_an_unsigned_request_is_missing_its_token(api_url):
    unsigned = boto3.session.Session().client(
        "sts",
        endpoint_url=api_url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    try:
        with pytest.raises(ClientError) as excinfo:
            unsigned.get_caller_identity()
    finally:
        unsigned.close()
    assert error_of(excinfo) == (
        "MissingAuthenticationToken",
        403,
        "Request is missing Authentication Token",
    )


def test_a_mangled_authorization_header_is_an_incomplete_signature(sts):
    def mangle(request, **kwargs):  # type: ignore[no-untyped-def]
        # What a broken proxy or hand-rolled client sends: the Signature part cut off.
        authorization = request.headers["Authorization"]  # bytes, once prepared
        request.headers["Authorization"] = authorization.split(b", Signature=")[0]

    sts.meta.events.register("before-send.sts.GetCallerIdentity", mangle)
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    code, status, message = error_of(excinfo)
    assert (code, status) == ("IncompleteSignature", 400)
    assert "Authorization header requires 'Signature' parameter." in message


@pytest.mark.parametrize(
    ("skew", "prefix"),
    [
        (timedelta(minutes=-20), "Signature expired: "),
        (timedelta(minutes=20), "Signature not yet current: "),
    ],
)
def test_a_client_clock_off_by_more_than_15_minutes_is_refused(sts, monkeypatch, skew, prefix):
    # botocore signs with botocore.auth.get_current_datetime (a naive UTC datetime).
    skewed = datetime.now(UTC).replace(tzinfo=None) + skew
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda *a, **k: skewed)
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    code, status, message = error_of(excinfo)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith(prefix)


def test_a_client_clock_off_by_less_than_15_minutes_is_fine(sts, root, monkeypatch):
    skewed = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=14)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda *a, **k: skewed)
    assert sts.get_caller_identity()["Account"] == root.account_id


def _fetch(url: str, method: str = "GET") -> tuple[int, ET.Element]:
    """Fetch a presigned URL of the live server; our own XML, so plain ElementTree is safe."""
    body = b"" if method == "POST" else None
    request = urllib.request.Request(url, method=method, data=body)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, ET.fromstring(response.read())  # noqa: S314
    except urllib.error.HTTPError as error:
        return error.code, ET.fromstring(error.read())  # noqa: S314


def test_a_presigned_url_works_then_expires(sts, root, monkeypatch):
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    status, document = _fetch(url)
    assert status == 200
    assert document.findtext(f"{STS_NS}GetCallerIdentityResult/{STS_NS}Account") == root.account_id
    # Without HttpMethod, botocore signs the model's method (POST); the method is signed.
    signed_for_post = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60)
    assert _fetch(signed_for_post, "POST")[0] == 200
    status, document = _fetch(signed_for_post, "GET")
    assert status == 403
    assert document.findtext(f"{STS_NS}Error/{STS_NS}Code") == "SignatureDoesNotMatch"

    two_minutes_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=2)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda *a, **k: two_minutes_ago)
    expired = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    status, document = _fetch(expired)
    assert status == 403
    assert document.findtext(f"{STS_NS}Error/{STS_NS}Code") == "SignatureDoesNotMatch"
    assert document.findtext(f"{STS_NS}Error/{STS_NS}Message").startswith("Signature expired: ")


def test_aws_endpoint_url_alone_points_boto3_at_the_console(api_url, root, root_key, monkeypatch):
    # DESIGN.md's promise: AWS_ENDPOINT_URL=http://HOST:PORT/api, nothing else.
    monkeypatch.setenv("AWS_ENDPOINT_URL", api_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", root_key.access_key.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", root_key.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    session = boto3.session.Session()
    for service in ("sts", "iam"):
        client = session.client(service)
        try:
            if service == "sts":
                assert client.get_caller_identity()["Account"] == root.account_id
            else:
                listed = client.list_access_keys()["AccessKeyMetadata"]
                assert [k["AccessKeyId"] for k in listed] == [root_key.access_key.access_key_id]
        finally:
            client.close()


# ----------------------------------------------------------------- temporary credentials


def test_get_session_token_credentials_work_until_their_key_is_made_inactive(
    sts, iam, aws_client, root, root_key
):
    temporary = sts.get_session_token(DurationSeconds=7200)["Credentials"]
    assert temporary["AccessKeyId"].startswith("ASIA")
    lasts = temporary["Expiration"] - datetime.now(UTC)
    assert timedelta(minutes=59) < lasts <= timedelta(hours=1)  # a root user's hour at most
    assert sts.get_access_key_info(AccessKeyId=temporary["AccessKeyId"])["Account"] == (
        root.account_id
    )
    session = (temporary["AccessKeyId"], temporary["SecretAccessKey"], temporary["SessionToken"])
    session_sts = aws_client("sts", *session)
    assert session_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{root.account_id}:root"

    with pytest.raises(ClientError) as excinfo:
        aws_client("iam", *session).list_access_keys()
    assert error_of(excinfo) == (
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    )
    with pytest.raises(ClientError) as excinfo:
        session_sts.get_session_token()
    assert error_of(excinfo) == (
        "AccessDenied",
        403,
        "Cannot call GetSessionToken with session credentials",
    )

    iam.update_access_key(AccessKeyId=root_key.access_key.access_key_id, Status="Inactive")
    with pytest.raises(ClientError) as excinfo:
        session_sts.get_caller_identity()
    assert error_of(excinfo)[:2] == ("InvalidClientTokenId", 403)
    access_key_activate(access_key=root_key.access_key)
    assert session_sts.get_caller_identity()["Account"] == root.account_id


def test_a_presigned_url_with_temporary_credentials(sts, aws_client, root):
    temporary = sts.get_session_token()["Credentials"]
    session_sts = aws_client(
        "sts", temporary["AccessKeyId"], temporary["SecretAccessKey"], temporary["SessionToken"]
    )
    url = session_sts.generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    assert "X-Amz-Security-Token=" in url
    status, document = _fetch(url)
    assert status == 200
    arn = document.findtext(f"{STS_NS}GetCallerIdentityResult/{STS_NS}Arn")
    assert arn == f"arn:aws:iam::{root.account_id}:root"


def test_a_session_made_with_an_mfa_code_may_call_iam(
    aws_client, sts, root, root_key, outsider_key
):
    device, secret = make_totp_device(root, name="phone")
    serial = serial_number(device)
    code = pyotp.TOTP(secret).now()
    temporary = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    session = (temporary["AccessKeyId"], temporary["SecretAccessKey"], temporary["SessionToken"])
    listed = aws_client("iam", *session).list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [root_key.access_key.access_key_id]

    # Without MFA the same kind of session is refused by IAM.
    plain = sts.get_session_token()["Credentials"]
    without = (plain["AccessKeyId"], plain["SecretAccessKey"], plain["SessionToken"])
    with pytest.raises(ClientError) as excinfo:
        aws_client("iam", *without).list_access_keys()
    assert error_of(excinfo)[:2] == ("InvalidClientTokenId", 403)

    # The same code again, a wrong code, another account's device.
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    their_serial = serial_number(make_totp_device(outsider_key.access_key.owner)[0])
    for params, message in (
        ({"SerialNumber": serial, "TokenCode": code}, MFA_CODE_INVALID),
        ({"SerialNumber": serial, "TokenCode": wrong}, MFA_CODE_INVALID),
        ({"SerialNumber": their_serial, "TokenCode": code}, MFA_NOT_VALIDATED),
    ):
        with pytest.raises(ClientError) as excinfo:
            sts.get_session_token(**params)
        assert error_of(excinfo) == ("AccessDenied", 403, message)


def test_a_wrong_mfa_code_is_denied(sts, root):
    with pytest.raises(ClientError) as excinfo:
        sts.get_session_token(
            SerialNumber=f"arn:aws:iam::{root.account_id}:mfa/phone", TokenCode="123456"
        )
    assert error_of(excinfo) == ("AccessDenied", 403, MFA_NOT_VALIDATED)


def test_list_mfa_devices_and_account_summary_reflect_the_devices(iam, root, outsider_key):
    from accounts.mfa.services import mfa_device_create_passkey, mfa_device_remove

    assert iam.list_mfa_devices()["MFADevices"] == []
    make_totp_device(outsider_key.access_key.owner, name="not-ours")
    app, _ = make_totp_device(root, name="phone")
    mfa_device_create_passkey(
        owner=root, name="yubikey", credential_id="Y3JlZA", public_key=b"k", sign_count=0
    )
    listed = iam.list_mfa_devices()
    serials = [device["SerialNumber"] for device in listed["MFADevices"]]
    assert serials[0] == f"arn:aws:iam::{root.account_id}:mfa/phone"
    assert re.fullmatch(rf"arn:aws:iam::{root.account_id}:u2f/root/yubikey-[A-Z2-7]+", serials[1])
    assert listed["MFADevices"][0]["EnableDate"].tzinfo is not None
    assert listed["IsTruncated"] is False
    first = iam.list_mfa_devices(MaxItems=1)
    assert first["IsTruncated"] is True and len(first["MFADevices"]) == 1
    rest = iam.list_mfa_devices(Marker=first["Marker"])
    assert [d["SerialNumber"] for d in rest["MFADevices"]] == serials[1:]
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["MFADevices"], summary["MFADevicesInUse"]) == (
        1,
        2,
        2,
    )
    with pytest.raises(ClientError) as excinfo:
        iam.list_mfa_devices(UserName="someone")
    assert error_of(excinfo)[:2] == ("NoSuchEntity", 404)
    assert _report_mfa_active(iam) == "true"
    mfa_device_remove(device=app)  # the passkey alone: still MFA, as AWS counts it
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["MFADevices"]) == (1, 1)
    assert len(iam.list_mfa_devices()["MFADevices"]) == 1
    assert _report_mfa_active(iam) == "true"
    for device in root.mfa_devices.all():
        mfa_device_remove(device=device)
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
    assert iam.list_mfa_devices()["MFADevices"] == []
    assert _report_mfa_active(iam) == "false"


def _report_mfa_active(iam) -> str:  # type: ignore[no-untyped-def]
    """The credential report's mfa_active, from a report made now (an older one is reused
    for four hours, as at AWS, so the previous one is moved out of its life first)."""
    CredentialReport.objects.update(generated_at=F("generated_at") - REPORT_LIFETIME)
    states = [iam.generate_credential_report()["State"] for _ in range(2)]
    assert states == ["STARTED", "COMPLETE"]
    content = iam.get_credential_report()["Content"].decode()
    return next(csv.DictReader(io.StringIO(content)))["mfa_active"]
