"""The real AWS CLI v2 (Debian's /usr/bin/aws) against the live server's /api.

Only v2 has `aws configure import`; PyPI's `awscli` (what a pyenv shim named `aws` usually
runs) is v1. A missing or wrong CLI fails these tests with the fix, it never skips them.
Every run gets its own HOME and config files, so nothing of the machine's AWS setup counts.
"""

import json
import subprocess
from pathlib import Path

import pyotp
import pytest

from accounts.mfa import serial_number
from keys.keyfiles import cli_profile_name
from keys.models import AccessKey
from tests.factories import make_totp_device

AWS_CLI = "/usr/bin/aws"


@pytest.fixture(scope="session")
def aws_cli_v2() -> str:
    try:
        version = subprocess.run(
            [AWS_CLI, "--version"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except FileNotFoundError:
        version = ""
    if not version.startswith("aws-cli/2"):
        pytest.fail(
            f"These tests need the AWS CLI v2 at {AWS_CLI} (found: {version.strip() or 'none'}). "
            "Install Debian's package: apt-get install awscli (PyPI's awscli is v1)."
        )
    return AWS_CLI


class AwsCli:
    def __init__(self, executable: str, home: Path, api_url: str) -> None:
        self.executable = executable
        self.api_url = api_url
        home.mkdir(exist_ok=True)
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
            "AWS_PAGER": "",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",  # an error must surface at once, not after retries
            "LANG": "C.UTF-8",
        }

    def run(
        self,
        *args: str,
        credentials: tuple[str, str] | tuple[str, str, str] | None = None,
        endpoint: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """``credentials``: a key ID and secret, and a session token for temporary ones."""
        env = dict(self.env)
        if credentials is not None:
            names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
            env.update(zip(names, credentials, strict=False))
        command = [self.executable, *args, "--output", "json"]
        if endpoint:
            command += ["--endpoint-url", self.api_url]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    def json(self, *args: str, **kwargs: object) -> dict:
        result = self.run(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture
def aws(aws_cli_v2: str, tmp_path: Path, api_url: str) -> AwsCli:
    return AwsCli(aws_cli_v2, tmp_path / "home", api_url)


def test_sts_and_iam_commands_with_a_root_key(aws, root, root_key, outsider_key):
    credentials = (root_key.access_key.access_key_id, root_key.secret_access_key)

    identity = aws.json("sts", "get-caller-identity", credentials=credentials)
    assert identity == {
        "UserId": root.account_id,
        "Account": root.account_id,
        "Arn": f"arn:aws:iam::{root.account_id}:root",
    }
    info = aws.json(
        "sts",
        "get-access-key-info",
        "--access-key-id",
        outsider_key.access_key.access_key_id,
        credentials=credentials,
    )
    assert info == {"Account": outsider_key.access_key.owner.account_id}

    created = aws.json("iam", "create-access-key", credentials=credentials)["AccessKey"]
    new_id = created["AccessKeyId"]
    assert created["Status"] == "Active" and len(created["SecretAccessKey"]) == 40
    assert AccessKey.objects.get(pk=new_id).secret_access_key() == created["SecretAccessKey"]

    listed = aws.json("iam", "list-access-keys", credentials=credentials)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [root_key.access_key.access_key_id, new_id]

    aws.json(
        "iam",
        "update-access-key",
        "--access-key-id",
        new_id,
        "--status",
        "Inactive",
        credentials=credentials,
    )
    assert AccessKey.objects.get(pk=new_id).status == "Inactive"

    refused = aws.run(
        "sts", "get-caller-identity", credentials=(new_id, created["SecretAccessKey"])
    )
    assert refused.returncode == 254
    assert "(InvalidClientTokenId)" in refused.stderr
    assert "The security token included in the request is invalid." in refused.stderr

    last_used = aws.json(
        "iam", "get-access-key-last-used", "--access-key-id", new_id, credentials=credentials
    )["AccessKeyLastUsed"]
    assert last_used == {"ServiceName": "N/A", "Region": "N/A"}  # refused calls do not count
    own = aws.json(
        "iam",
        "get-access-key-last-used",
        "--access-key-id",
        root_key.access_key.access_key_id,
        credentials=credentials,
    )
    assert own["AccessKeyLastUsed"]["ServiceName"] == "iam"

    aws.json("iam", "delete-access-key", "--access-key-id", new_id, credentials=credentials)
    assert not AccessKey.objects.filter(pk=new_id).exists()

    summary = aws.json("iam", "get-account-summary", credentials=credentials)["SummaryMap"]
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccessKeysPerUserQuota"] == 2


def test_the_console_cli_csv_imports_and_signs(aws, console, root):
    console.sign_in(root.email)
    access_key_id = console.create_access_key()
    status, _, csv_bytes = console.get(
        f"/iam/security_credentials/access-keys/{access_key_id}/cli.csv"
    )
    assert status == 200
    csv_file = aws.env["HOME"] + "/credentials.csv"
    Path(csv_file).write_bytes(csv_bytes)

    imported = aws.run("configure", "import", "--csv", f"file://{csv_file}", endpoint=False)
    assert imported.returncode == 0, imported.stderr
    profile = cli_profile_name(root.account_name)
    assert f"[{profile}]" in Path(aws.env["AWS_SHARED_CREDENTIALS_FILE"]).read_text()

    identity = aws.json("sts", "get-caller-identity", "--profile", profile)
    assert identity["Account"] == root.account_id
    assert identity["Arn"] == f"arn:aws:iam::{root.account_id}:root"
    assert AccessKey.objects.get(pk=access_key_id).last_used_service == "sts"


def test_get_session_token_gives_credentials_that_work_through_the_environment(aws, root, root_key):
    long_term = (root_key.access_key.access_key_id, root_key.secret_access_key)
    issued = aws.json(
        "sts", "get-session-token", "--duration-seconds", "900", credentials=long_term
    )
    temporary = issued["Credentials"]
    assert temporary["AccessKeyId"].startswith("ASIA")
    assert temporary["Expiration"]
    session = (temporary["AccessKeyId"], temporary["SecretAccessKey"], temporary["SessionToken"])

    # The three values in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
    identity = aws.json("sts", "get-caller-identity", credentials=session)
    assert identity == {
        "UserId": root.account_id,
        "Account": root.account_id,
        "Arn": f"arn:aws:iam::{root.account_id}:root",
    }
    assert AccessKey.objects.get(pk=root_key.access_key.access_key_id).last_used_service == "sts"

    without_mfa = aws.run("iam", "list-access-keys", credentials=session)
    assert without_mfa.returncode == 254
    assert "(InvalidClientTokenId)" in without_mfa.stderr
    again = aws.run("sts", "get-session-token", credentials=session)
    assert again.returncode == 254
    assert "(AccessDenied)" in again.stderr
    assert "Cannot call GetSessionToken with session credentials" in again.stderr

    aws.json(
        "iam",
        "update-access-key",
        "--access-key-id",
        root_key.access_key.access_key_id,
        "--status",
        "Inactive",
        credentials=long_term,
    )
    revoked = aws.run("sts", "get-caller-identity", credentials=session)
    assert revoked.returncode == 254
    assert "(InvalidClientTokenId)" in revoked.stderr


def test_get_session_token_with_a_code_that_cannot_be_validated_is_denied(aws, root, root_key):
    refused = aws.run(
        "sts",
        "get-session-token",
        "--serial-number",
        f"arn:aws:iam::{root.account_id}:mfa/phone",
        "--token-code",
        "123456",
        credentials=(root_key.access_key.access_key_id, root_key.secret_access_key),
    )
    assert refused.returncode == 254
    assert "(AccessDenied)" in refused.stderr
    assert "MultiFactorAuthentication failed, unable to validate MFA code." in refused.stderr


def test_get_session_token_with_an_mfa_code_gives_credentials_that_may_call_iam(
    aws, root, root_key
):
    device, secret = make_totp_device(root, name="phone")
    serial = serial_number(device)
    code = pyotp.TOTP(secret).now()
    long_term = (root_key.access_key.access_key_id, root_key.secret_access_key)
    temporary = aws.json(
        "sts",
        "get-session-token",
        "--serial-number",
        serial,
        "--token-code",
        code,
        credentials=long_term,
    )["Credentials"]
    session = (temporary["AccessKeyId"], temporary["SecretAccessKey"], temporary["SessionToken"])
    listed = aws.json("iam", "list-access-keys", credentials=session)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [root_key.access_key.access_key_id]

    replayed = aws.run(
        "sts",
        "get-session-token",
        "--serial-number",
        serial,
        "--token-code",
        code,
        credentials=long_term,
    )
    assert replayed.returncode == 254
    assert "(AccessDenied)" in replayed.stderr
    assert "MultiFactorAuthentication failed with invalid MFA one time pass code." in (
        replayed.stderr
    )


def test_list_mfa_devices_and_get_account_summary(aws, root, root_key):

    credentials = (root_key.access_key.access_key_id, root_key.secret_access_key)
    assert aws.json("iam", "list-mfa-devices", credentials=credentials)["MFADevices"] == []
    summary = aws.json("iam", "get-account-summary", credentials=credentials)["SummaryMap"]
    assert summary["AccountMFAEnabled"] == 0 and summary["MFADevices"] == 0
    make_totp_device(root, name="phone")
    devices = aws.json("iam", "list-mfa-devices", credentials=credentials)["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [f"arn:aws:iam::{root.account_id}:mfa/phone"]
    summary = aws.json("iam", "get-account-summary", credentials=credentials)["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["MFADevices"], summary["MFADevicesInUse"]) == (
        1,
        1,
        1,
    )
