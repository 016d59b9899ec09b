"""The AWS SDK for JavaScript v3 (Node) against the live server's /api.

`make test` installs the SDK with `npm ci` in tests/clients; a missing Node or SDK fails
these tests with the fix, it never skips them.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from keys.models import AccessKey

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "get_caller_identity.mjs"


@pytest.fixture(scope="session")
def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("These tests need Node.js 20+ (Debian: apt-get install nodejs npm).")
    if not (HERE / "node_modules" / "@aws-sdk" / "client-sts").is_dir():
        pytest.fail(
            f"The AWS SDK for JavaScript is not installed: run `npm ci` in {HERE} (make test does)."
        )
    return executable


def get_caller_identity(
    node: str,
    api_url: str,
    home: Path,
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None = None,
) -> tuple[int, dict]:
    home.mkdir(exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),  # no shared config or credentials of the machine
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if session_token is not None:
        env["AWS_SESSION_TOKEN"] = session_token
    result = subprocess.run(
        [node, str(SCRIPT), api_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_get_caller_identity_names_the_root_user(node, api_url, tmp_path, root, root_key):
    status, identity = get_caller_identity(
        node,
        api_url,
        tmp_path / "home",
        root_key.access_key.access_key_id,
        root_key.secret_access_key,
    )
    assert status == 0, identity
    assert identity == {
        "Account": root.account_id,
        "UserId": root.account_id,
        "Arn": f"arn:aws:iam::{root.account_id}:root",
    }
    assert AccessKey.objects.get(pk=root_key.access_key.access_key_id).last_used_service == "sts"


def test_a_wrong_secret_does_not_match(node, api_url, tmp_path, root_key):
    status, outcome = get_caller_identity(
        node, api_url, tmp_path / "home", root_key.access_key.access_key_id, "w" * 40
    )
    assert status == 1
    assert outcome["error"]["Code"] == "SignatureDoesNotMatch"
    assert outcome["error"]["HTTPStatusCode"] == 403
    assert outcome["error"]["Message"].startswith(
        "The request signature we calculated does not match"
    )
    assert outcome["error"]["RequestId"]


def test_temporary_credentials_sign_with_their_session_token(
    node, api_url, tmp_path, root, root_key, aws_client
):
    sts = aws_client("sts", root_key.access_key.access_key_id, root_key.secret_access_key)
    temporary = sts.get_session_token(DurationSeconds=900)["Credentials"]
    status, identity = get_caller_identity(
        node,
        api_url,
        tmp_path / "home",
        temporary["AccessKeyId"],
        temporary["SecretAccessKey"],
        temporary["SessionToken"],
    )
    assert status == 0, identity
    assert identity["Arn"] == f"arn:aws:iam::{root.account_id}:root"

    status, outcome = get_caller_identity(
        node,
        api_url,
        tmp_path / "home",
        temporary["AccessKeyId"],
        temporary["SecretAccessKey"],
    )
    assert status == 1
    assert outcome["error"]["Code"] == "InvalidClientTokenId"
    assert outcome["error"]["HTTPStatusCode"] == 403
