"""The Credential report page in real Chromium, with JavaScript and without: reached from the
IAM navigation, its download is the very file that the API's GetCredentialReport answers
(boto3 against the same live server), and the page then says when that report was made."""

import os
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from playwright.sync_api import Page, expect

from keys.credential_report import CredentialReport
from tests.browser.steps import button
from tests.browser.test_accessibility import Audit
from tests.factories import make_access_key

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def iam_of(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    """boto3's IAM client for /api of the live server, with a user's own key."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    clients = []

    def make(user):  # type: ignore[no-untyped-def]
        new_key = make_access_key(user)
        client = boto3.session.Session().client(
            "iam",
            endpoint_url=f"{live_server.url}/api",
            region_name="us-east-1",
            aws_access_key_id=new_key.access_key.access_key_id,
            aws_secret_access_key=new_key.secret_access_key,
            config=Config(retries={"total_max_attempts": 1}),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def download_the_report(page: Page, account_name: str) -> tuple[str, bytes]:
    """From the IAM Dashboard, through the navigation, to the download; its name and bytes."""
    page.goto("/iam/home")
    page.get_by_role("navigation", name="Services").get_by_role(
        "link", name="Credential report", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Credential report", level=1)).to_be_visible()
    expect(page.get_by_text("No credential report has been generated yet.")).to_be_visible()
    with page.expect_download() as info:
        button(page, "Download credentials report").click()
    file = info.value
    assert file.failure() is None
    return file.suggested_filename, Path(file.path()).read_bytes()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_download_is_the_apis_report(
    new_context, alice, signed_in, iam_of, javascript: bool
) -> None:  # type: ignore[no-untyped-def]
    page = new_context(java_script_enabled=javascript).new_page()
    signed_in(page.context, alice)
    iam = iam_of(alice)

    filename, content = download_the_report(page, alice.account_name)

    assert filename.startswith("status_reports_") and filename.endswith("+00_00.csv")
    assert content.startswith(b"user,arn,user_creation_time,")
    assert f"<root_account>,arn:aws:iam::{alice.account_id}:root,".encode() in content
    # The same report for the API: Generate finds it COMPLETE, Get answers the same bytes.
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["Content"] == content
    assert report["GeneratedTime"] == CredentialReport.objects.get(
        owner=alice
    ).generated_at.replace(microsecond=0)

    page.reload()
    expect(page.get_by_text("Last generated:")).to_contain_text(
        report["GeneratedTime"].strftime("%b %-d, %Y, %H:%M:%S UTC")
    )


def test_the_page_is_accessible(page: Page, alice, signed_in) -> None:
    signed_in(page.context, alice)
    page.goto("/iam/credential_report")
    expect(page.get_by_role("heading", name="Credential report", level=1)).to_be_visible()
    audit = Audit(page)
    audit.check("Credential report")
    audit.assert_clean()
