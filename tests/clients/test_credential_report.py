"""The credential report through real AWS clients against the live server: boto3 polls
GenerateCredentialReport until COMPLETE and reads GetCredentialReport; the AWS CLI v2 does
what AWS's own documentation does, `get-credential-report --query Content --output text |
base64 -d`. Every error comes back as the exception boto3 makes from botocore's model."""

import base64
import csv
import io
import re
import shlex
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from keys.credential_report import REPORT_LIFETIME, CredentialReport
from keys.models import AccessKey
from tests.clients.test_awscli import AwsCli, aws_cli_v2  # noqa: F401 - the CLI fixture's own

AWS_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


@pytest.fixture
def iam(aws_client, root_key):  # type: ignore[no-untyped-def]
    return aws_client("iam", root_key.access_key.access_key_id, root_key.secret_access_key)


@pytest.fixture
def aws(aws_cli_v2: str, tmp_path, api_url: str) -> AwsCli:  # noqa: F811
    return AwsCli(aws_cli_v2, tmp_path / "home", api_url)


def generate_until_complete(generate) -> list[str]:  # type: ignore[no-untyped-def]
    """Poll as AWS's own examples and auditing tools do; returns every State seen."""
    states: list[str] = []
    while not states or states[-1] != "COMPLETE":
        assert len(states) < 10, states
        states.append(generate()["State"])
    return states


def the_row(content: bytes) -> dict[str, str]:
    (row,) = csv.DictReader(io.StringIO(content.decode("utf-8")))
    return row


def test_boto3_generates_until_complete_and_gets_the_csv(iam, root, root_key):
    raw_bodies: list[bytes] = []
    iam.meta.events.register(
        "before-parse.iam.GetCredentialReport",
        lambda response_dict, **kwargs: raw_bodies.append(response_dict["body"]),
    )
    first = iam.generate_credential_report()
    assert first["State"] == "STARTED"
    assert first["Description"] == "No report exists. Starting a new report generation task"
    assert generate_until_complete(iam.generate_credential_report) == ["COMPLETE"]

    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    stored = CredentialReport.objects.get(owner=root)
    assert report["GeneratedTime"] == stored.generated_at.replace(microsecond=0)
    assert abs(datetime.now(UTC) - report["GeneratedTime"]) < timedelta(minutes=1)
    # On the wire the CSV is base64, which botocore decodes into Content's bytes.
    (raw,) = raw_bodies
    wire = re.search(rb"<Content>([^<]*)</Content>", raw).group(1)
    assert base64.b64decode(wire, validate=True) == report["Content"]
    assert report["Content"].decode() == stored.content

    row = the_row(report["Content"])
    key = AccessKey.objects.get(pk=root_key.access_key.access_key_id)
    assert row["user"] == "<root_account>"
    assert row["arn"] == f"arn:aws:iam::{root.account_id}:root"
    assert row["password_enabled"] == "not_supported"
    assert row["access_key_1_active"] == "true"
    assert row["access_key_1_last_rotated"] == key.created_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    # boto3's own calls are the key's last use: to IAM, in the client's region.
    assert AWS_TIME.fullmatch(row["access_key_1_last_used_date"])
    assert (row["access_key_1_last_used_region"], row["access_key_1_last_used_service"]) == (
        "us-east-1",
        "iam",
    )
    assert row["access_key_2_active"] == "false" and row["access_key_2_last_rotated"] == "N/A"


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_each_error_is_boto3s_own_exception(iam, root):
    with pytest.raises(iam.exceptions.CredentialReportNotPresentException) as excinfo:
        iam.get_credential_report()
    assert _error(excinfo) == ("ReportNotPresent", 410)

    # A server in the middle of generating it: claimed, no CSV yet.
    CredentialReport.objects.create(owner=root, generated_at=datetime.now(UTC))
    with pytest.raises(iam.exceptions.CredentialReportNotReadyException) as excinfo:
        iam.get_credential_report()
    assert _error(excinfo) == ("ReportInProgress", 404)
    assert excinfo.value.response["Error"]["Message"] == (
        "The request was rejected because the credential report is still being generated."
    )
    assert iam.generate_credential_report()["State"] == "INPROGRESS"

    CredentialReport.objects.filter(owner=root).delete()
    assert generate_until_complete(iam.generate_credential_report) == ["STARTED", "COMPLETE"]
    CredentialReport.objects.filter(owner=root).update(
        generated_at=datetime.now(UTC) - REPORT_LIFETIME
    )
    with pytest.raises(iam.exceptions.CredentialReportExpiredException) as excinfo:
        iam.get_credential_report()
    assert _error(excinfo) == ("ReportExpired", 410)
    # An expired report is replaced by the next GenerateCredentialReport.
    assert generate_until_complete(iam.generate_credential_report) == ["STARTED", "COMPLETE"]
    assert iam.get_credential_report()["Content"].startswith(b"user,arn,")


def test_another_accounts_report_is_never_reachable(aws_client, iam, root, outsider_key):
    generate_until_complete(iam.generate_credential_report)
    outsider = aws_client(
        "iam", outsider_key.access_key.access_key_id, outsider_key.secret_access_key
    )
    with pytest.raises(outsider.exceptions.CredentialReportNotPresentException):
        outsider.get_credential_report()
    generate_until_complete(outsider.generate_credential_report)
    content = outsider.get_credential_report()["Content"].decode()
    assert root.account_id not in content
    assert outsider_key.access_key.owner.account_id in content


def test_the_aws_cli_generates_and_decodes_the_report(aws, root, root_key):
    credentials = (root_key.access_key.access_key_id, root_key.secret_access_key)
    refused = aws.run("iam", "get-credential-report", credentials=credentials)
    assert refused.returncode == 254
    assert "(ReportNotPresent)" in refused.stderr

    started = aws.json("iam", "generate-credential-report", credentials=credentials)
    assert started == {
        "State": "STARTED",
        "Description": "No report exists. Starting a new report generation task",
    }
    assert aws.json("iam", "generate-credential-report", credentials=credentials) == {
        "State": "COMPLETE"
    }

    # Exactly as AWS's documentation has it, through a shell pipe.
    env = dict(aws.env)
    env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = credentials
    command = (
        f"{shlex.quote(aws.executable)} iam get-credential-report "
        f"--endpoint-url {shlex.quote(aws.api_url)} --query Content --output text | base64 -d"
    )
    decoded = subprocess.run(  # noqa: S603 - our own command line, no user input
        ["/bin/bash", "-o", "pipefail", "-c", command],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout.decode() == CredentialReport.objects.get(owner=root).content
    row = the_row(decoded.stdout)
    assert row["arn"] == f"arn:aws:iam::{root.account_id}:root"
    assert row["access_key_1_last_used_service"] == "iam"
    assert list(row)[-1] == "cert_2_last_rotated" and len(row) == 22
