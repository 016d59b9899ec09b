"""The credential report: AWS's CSV, its life (reused for four hours, then expired), and the
IAM API's GenerateCredentialReport and GetCredentialReport through console.wsgi.application,
signed as botocore signs."""

import base64
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from accounts.mfa.services import mfa_device_create_passkey, mfa_device_remove
from keys import credential_report as report_module
from keys.credential_report import (
    GENERATION_TIMEOUT,
    REPORT_LIFETIME,
    CredentialReport,
    ReportState,
    credential_report_csv,
    credential_report_generate,
    credential_report_get,
)
from keys.exceptions import (
    CredentialReportExpired,
    CredentialReportInProgress,
    CredentialReportNotPresent,
)
from keys.services import access_key_deactivate, access_key_delete
from tests.factories import PASSWORD, make_access_key, make_totp_device
from tests.keys.test_api import assert_error, assert_success, call, find, send, text

pytestmark = pytest.mark.django_db


# AWS's columns in AWS's order, as the IAM User Guide lists them ("Understanding the report
# format"): written out here, not derived from the code under test.
AWS_COLUMNS = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]
AWS_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
NO_KEY = {"active": "false", **dict.fromkeys(
    ["last_rotated", "last_used_date", "last_used_region", "last_used_service"], "N/A"
)}  # fmt: skip
NOT_PRESENT = (
    "The request was rejected because the credential report does not exist. "
    "To generate a credential report, use GenerateCredentialReport."
)
EXPIRED = (
    "The request was rejected because the most recent credential report has expired. "
    "To generate a new credential report, use GenerateCredentialReport. For more information "
    "about credential report expiration, see Getting credential reports in the IAM User Guide."
)
IN_PROGRESS = "The request was rejected because the credential report is still being generated."


def aws_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse(content: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(content))
    return list(reader.fieldnames or []), list(reader)


def root_row(owner) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header, rows = parse(credential_report_csv(owner=owner))
    assert header == AWS_COLUMNS
    (row,) = rows
    return row


def slot(row: dict[str, str], number: int) -> dict[str, str]:
    prefix = f"access_key_{number}_"
    return {
        name.removeprefix(prefix): value for name, value in row.items() if name.startswith(prefix)
    }


def fresh(user):  # type: ignore[no-untyped-def]
    return get_user_model().objects.get(pk=user.pk)


# ------------------------------------------------------------------------------ the CSV


def test_the_header_is_awss_22_columns_in_awss_order(alice):
    content = credential_report_csv(owner=alice)
    header = next(csv.reader(io.StringIO(content)))
    assert len(header) == 22
    for position, (ours, aws) in enumerate(zip(header, AWS_COLUMNS, strict=True)):
        assert ours == aws, f"column {position + 1}: {ours!r} where AWS has {aws!r}"
    assert content.splitlines()[0] == ",".join(AWS_COLUMNS)


def test_a_fresh_account_has_one_root_row_with_awss_values(alice):
    assert root_row(alice) == {
        "user": "<root_account>",
        "arn": f"arn:aws:iam::{alice.account_id}:root",
        "user_creation_time": aws_time(alice.date_joined),
        "password_enabled": "not_supported",
        "password_last_used": "no_information",  # never signed in
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "false",
        **{f"access_key_1_{name}": value for name, value in NO_KEY.items()},
        **{f"access_key_2_{name}": value for name, value in NO_KEY.items()},
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    assert AWS_TIME.fullmatch(root_row(alice)["user_creation_time"])


def test_the_last_console_sign_in_is_the_password_last_used(alice, anonymous_client):
    anonymous_client.post("/signin", {"email": alice.email})
    response = anonymous_client.post("/signin/password", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/iam/home"
    signed_in_at = fresh(alice).last_login
    assert signed_in_at is not None
    row = root_row(alice)
    assert row["password_last_used"] == aws_time(signed_in_at)
    assert AWS_TIME.fullmatch(row["password_last_used"])
    assert row["password_enabled"] == row["password_last_changed"] == "not_supported"


def test_each_keys_status_creation_and_use_land_in_its_slots_columns(client, alice):
    first, second = make_access_key(alice), make_access_key(alice)
    row = root_row(alice)
    for number, new_key in ((1, first), (2, second)):
        assert slot(row, number) == {
            "active": "true",
            "last_rotated": aws_time(new_key.access_key.created_at),
            "last_used_date": "N/A",
            "last_used_region": "N/A",
            "last_used_service": "N/A",
        }

    # Every signed API call records its key's last use: the second key, in eu-west-3, to STS.
    response = send(
        client,
        key_id=second.access_key.access_key_id,
        secret=second.secret_access_key,
        service="sts",
        region="eu-west-3",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
    )
    assert response.status_code == 200
    used_at = second.access_key.__class__.objects.get(pk=second.access_key.pk).last_used_at
    row = root_row(alice)
    assert slot(row, 2) == {
        "active": "true",
        "last_rotated": aws_time(second.access_key.created_at),
        "last_used_date": aws_time(used_at),
        "last_used_region": "eu-west-3",
        "last_used_service": "sts",
    }
    assert AWS_TIME.fullmatch(row["access_key_2_last_used_date"])
    assert slot(row, 1)["last_used_date"] == "N/A"  # the first key was not used

    # The first key, in us-east-1, to IAM: its own columns, and the second's unchanged.
    assert call(client, first, "ListAccessKeys").status_code == 200
    row = root_row(alice)
    assert (slot(row, 1)["last_used_region"], slot(row, 1)["last_used_service"]) == (
        "us-east-1",
        "iam",
    )
    assert slot(row, 2)["last_used_region"] == "eu-west-3"


def test_make_inactive_turns_its_slot_false_and_keeps_its_dates(client, alice):
    new_key = make_access_key(alice)
    assert call(client, new_key, "GetAccountSummary").status_code == 200
    before = slot(root_row(alice), 1)
    access_key_deactivate(access_key=new_key.access_key)
    after = slot(root_row(alice), 1)
    assert before["active"] == "true" and after["active"] == "false"
    assert after["last_rotated"] == aws_time(new_key.access_key.created_at)
    assert after["last_used_date"] == before["last_used_date"] != "N/A"
    assert (after["last_used_region"], after["last_used_service"]) == ("us-east-1", "iam")


def test_delete_puts_its_slot_back_to_false_and_na(client, alice):
    first, second = make_access_key(alice), make_access_key(alice)
    assert call(client, first, "GetAccountSummary").status_code == 200
    access_key_delete(access_key=first.access_key)
    row = root_row(alice)
    assert slot(row, 1) == NO_KEY
    assert slot(row, 2)["active"] == "true"
    assert slot(row, 2)["last_rotated"] == aws_time(second.access_key.created_at)


def test_mfa_active_is_true_while_any_mfa_device_exists(alice, mallory):
    """AWS counts every MFA device: an authenticator app, a passkey. Another account's
    devices count for nothing here."""
    make_totp_device(mallory)
    assert root_row(alice)["mfa_active"] == "false"
    app, _ = make_totp_device(alice)
    row = root_row(alice)
    assert row["mfa_active"] == "true"
    assert [name for name, value in row.items() if value == "true"] == ["mfa_active"]
    passkey = mfa_device_create_passkey(
        owner=alice, name="key", credential_id="Y3JlZA", public_key=b"k", sign_count=0
    )
    mfa_device_remove(device=app)
    assert root_row(alice)["mfa_active"] == "true"  # the passkey alone
    mfa_device_remove(device=passkey)
    assert root_row(alice)["mfa_active"] == "false"


def test_building_the_report_takes_two_queries(alice, django_assert_num_queries):
    make_access_key(alice)
    make_access_key(alice)
    make_totp_device(alice)
    with django_assert_num_queries(2):  # the root user (and whether it has MFA), then its keys
        credential_report_csv(owner=alice)


def test_the_report_never_holds_a_key_id_or_secret(alice):
    new_key = make_access_key(alice)
    content = credential_report_csv(owner=alice)
    assert new_key.access_key.access_key_id not in content
    assert new_key.secret_access_key not in content


# --------------------------------------------------------------------------- its life


def test_generate_starts_a_report_then_reuses_it_for_four_hours(alice):
    assert credential_report_generate(owner=alice) == ReportState.STARTED
    first = CredentialReport.objects.get(owner=alice)
    assert first.is_complete and first.content == credential_report_csv(owner=alice)

    make_access_key(alice)  # a change the reused report does not show
    now = first.generated_at + REPORT_LIFETIME - timedelta(seconds=1)
    assert credential_report_generate(owner=alice, now=now) == ReportState.COMPLETE
    assert credential_report_get(owner=alice, now=now).content == first.content

    later = first.generated_at + REPORT_LIFETIME
    with pytest.raises(CredentialReportExpired):
        credential_report_get(owner=alice, now=later)
    assert credential_report_generate(owner=alice, now=later) == ReportState.STARTED
    renewed = credential_report_get(owner=alice, now=later)
    assert renewed.generated_at == later
    assert slot(parse(renewed.content)[1][0], 1)["active"] == "true"


def test_get_without_a_report_is_not_present(alice):
    with pytest.raises(CredentialReportNotPresent):
        credential_report_get(owner=alice)


def test_a_report_being_generated_is_in_progress_to_everyone_else(alice, monkeypatch):
    """What a second app server sees while the first builds the CSV: Get says in progress
    and Generate says INPROGRESS, without starting a second report."""
    seen = []
    build = report_module.credential_report_csv

    def build_while_others_ask(*, owner):  # type: ignore[no-untyped-def]
        with pytest.raises(CredentialReportInProgress) as excinfo:
            credential_report_get(owner=owner)
        seen.append(str(excinfo.value))
        seen.append(credential_report_generate(owner=owner))
        return build(owner=owner)

    monkeypatch.setattr(report_module, "credential_report_csv", build_while_others_ask)
    assert credential_report_generate(owner=alice) == ReportState.STARTED
    assert seen == [IN_PROGRESS, ReportState.INPROGRESS]
    assert credential_report_get(owner=alice).is_complete


def test_a_failed_build_leaves_no_half_made_report(alice, monkeypatch):
    def broken(*, owner):  # type: ignore[no-untyped-def]
        raise RuntimeError("the build failed")

    monkeypatch.setattr(report_module, "credential_report_csv", broken)
    with pytest.raises(RuntimeError):
        credential_report_generate(owner=alice)
    assert not CredentialReport.objects.filter(owner=alice).exists()
    with pytest.raises(CredentialReportNotPresent):
        credential_report_get(owner=alice)


def test_an_abandoned_generation_is_started_over(alice):
    # A server that died between its claim and the CSV leaves the claim behind.
    claimed_at = datetime.now(UTC) - GENERATION_TIMEOUT
    CredentialReport.objects.create(owner=alice, generated_at=claimed_at)
    with pytest.raises(CredentialReportNotPresent):
        credential_report_get(owner=alice)
    assert credential_report_generate(owner=alice) == ReportState.STARTED
    assert credential_report_get(owner=alice).generated_at > claimed_at


def test_each_account_has_its_own_report(alice, mallory):
    credential_report_generate(owner=alice)
    with pytest.raises(CredentialReportNotPresent):
        credential_report_get(owner=mallory)
    assert credential_report_generate(owner=mallory) == ReportState.STARTED
    assert f":{mallory.account_id}:root" in credential_report_get(owner=mallory).content
    assert alice.account_id not in credential_report_get(owner=mallory).content


# ----------------------------------------------------------------------------- the API


def test_generate_answers_started_then_complete(client, alice, alice_key):
    root = assert_success(
        call(client, alice_key, "GenerateCredentialReport"), "GenerateCredentialReport"
    )
    assert text(root, "GenerateCredentialReportResult/State") == "STARTED"
    assert (
        text(root, "GenerateCredentialReportResult/Description")
        == "No report exists. Starting a new report generation task"
    )
    root = assert_success(
        call(client, alice_key, "GenerateCredentialReport"), "GenerateCredentialReport"
    )
    assert text(root, "GenerateCredentialReportResult/State") == "COMPLETE"
    assert find(root, "GenerateCredentialReportResult/Description") is None


def test_get_answers_the_stored_csv_in_base64(client, alice, alice_key):
    call(client, alice_key, "GenerateCredentialReport")
    stored = CredentialReport.objects.get(owner=alice)
    root = assert_success(call(client, alice_key, "GetCredentialReport"), "GetCredentialReport")
    result = find(root, "GetCredentialReportResult")
    assert [child.tag.split("}")[1] for child in result] == [
        "Content",
        "ReportFormat",
        "GeneratedTime",
    ]
    content = base64.b64decode(text(root, "GetCredentialReportResult/Content"), validate=True)
    assert content.decode() == stored.content
    assert text(root, "GetCredentialReportResult/ReportFormat") == "text/csv"
    assert text(root, "GetCredentialReportResult/GeneratedTime") == stored.generated_at.astimezone(
        UTC
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The report shows the signing key's own use: Generate was a signed call.
    row = parse(content.decode())[1][0]
    assert (row["access_key_1_last_used_region"], row["access_key_1_last_used_service"]) == (
        "us-east-1",
        "iam",
    )


def _expire(owner) -> None:  # type: ignore[no-untyped-def]
    CredentialReport.objects.filter(owner=owner).update(
        generated_at=datetime.now(UTC) - REPORT_LIFETIME - timedelta(seconds=1)
    )


def _claim(owner) -> None:  # type: ignore[no-untyped-def]
    """As a server in the middle of generating leaves the report: claimed, no CSV yet."""
    CredentialReport.objects.update_or_create(
        owner=owner, defaults={"generated_at": datetime.now(UTC), "completed_at": None}
    )


@pytest.mark.parametrize(
    "arrange, status, code, message",
    [
        (lambda owner, client, key: None, 410, "ReportNotPresent", NOT_PRESENT),
        (
            lambda owner, client, key: (
                call(client, key, "GenerateCredentialReport"),
                _expire(owner),
            ),
            410,
            "ReportExpired",
            EXPIRED,
        ),
        (lambda owner, client, key: _claim(owner), 404, "ReportInProgress", IN_PROGRESS),
    ],
    ids=["not-present", "expired", "in-progress"],
)
def test_get_refuses_as_aws_does(client, alice, alice_key, arrange, status, code, message):
    arrange(alice, client, alice_key)
    assert_error(call(client, alice_key, "GetCredentialReport"), status, code, message)


def test_generate_while_in_progress_answers_inprogress(client, alice, alice_key):
    _claim(alice)
    root = assert_success(
        call(client, alice_key, "GenerateCredentialReport"), "GenerateCredentialReport"
    )
    assert text(root, "GenerateCredentialReportResult/State") == "INPROGRESS"


def test_another_accounts_report_is_never_answered(client, alice, alice_key, mallory):
    mallory_key = make_access_key(mallory)
    call(client, alice_key, "GenerateCredentialReport")
    assert_error(call(client, mallory_key, "GetCredentialReport"), 410, "ReportNotPresent")
    call(client, mallory_key, "GenerateCredentialReport")
    root = assert_success(call(client, mallory_key, "GetCredentialReport"), "GetCredentialReport")
    content = base64.b64decode(text(root, "GetCredentialReportResult/Content")).decode()
    assert mallory.account_id in content and alice.account_id not in content


def test_generate_and_get_cost_a_few_queries(
    client, alice, alice_key, django_assert_max_num_queries
):
    # The key lookup and its last use (2); the claim: lock, read, write, inside a savepoint
    # here as in a transaction in production (5); the report (2); storing it (1).
    with django_assert_max_num_queries(10):
        assert call(client, alice_key, "GenerateCredentialReport").status_code == 200
    with django_assert_max_num_queries(3):  # the lookup, its last use if a minute began, the report
        assert call(client, alice_key, "GetCredentialReport").status_code == 200
