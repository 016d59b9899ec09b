"""The console's Credential report page and its download, and the last-use age beside each
key on Your Security Credentials: plain and with htmx, as the signed-in user only."""

import base64
import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from keys.credential_report import REPORT_LIFETIME, CredentialReport
from keys.models import AccessKey
from keys.services import access_key_record_use
from keys.views import REPORT_IN_PROGRESS
from tests.factories import make_access_key
from tests.keys.test_api import assert_success, call, text

pytestmark = pytest.mark.django_db
PAGE = "/iam/credential_report"
DOWNLOAD = "/iam/credential_report/download"
HX = {"HX-Request": "true"}


def download(client, **extra):  # type: ignore[no-untyped-def]
    response = client.post(DOWNLOAD, **extra)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    return response


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_the_page_offers_the_download_and_says_when_the_last_report_was_made(
    alice_client, alice, headers
):
    html = alice_client.get(PAGE, headers=headers).content.decode()
    assert "<h1>Credential report</h1>" in html
    assert f'<a href="{PAGE}">Credential report</a>' in html  # in the IAM navigation
    assert re.search(rf'<form method="post" action="{DOWNLOAD}"', html)
    assert ">Download credentials report</button>" in html
    assert "No credential report has been generated yet." in html

    download(alice_client, headers=headers)
    report = CredentialReport.objects.get(owner=alice)
    html = alice_client.get(PAGE, headers=headers).content.decode()
    assert "Last generated:" in html
    assert f"{report.generated_at:%b %-d, %Y, %H:%M:%S} UTC" in html
    assert "older than 4 hours" not in html


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_the_download_is_the_apis_report(alice_client, alice, client, headers):
    new_key = make_access_key(alice)
    response = download(alice_client, headers=headers)
    report = CredentialReport.objects.get(owner=alice)
    filename = "status_reports_" + report.generated_at.strftime("%Y-%m-%dT%H_%M_%S") + "+00_00.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.content.decode() == report.content

    # The API reuses that report (younger than four hours) and answers the same bytes.
    generated = call(client, new_key, "GenerateCredentialReport")
    root = assert_success(generated, "GenerateCredentialReport")
    assert text(root, "GenerateCredentialReportResult/State") == "COMPLETE"
    root = assert_success(call(client, new_key, "GetCredentialReport"), "GetCredentialReport")
    assert base64.b64decode(text(root, "GetCredentialReportResult/Content")) == response.content
    header, row = rows(response.content)
    assert header[:2] == ["user", "arn"] and len(header) == 22
    assert row[:2] == ["<root_account>", f"arn:aws:iam::{alice.account_id}:root"]


def test_a_download_reuses_a_young_report_and_renews_an_expired_one(alice_client, alice):
    first = download(alice_client).content
    make_access_key(alice)
    assert download(alice_client).content == first  # reused: the new key is not in it yet

    CredentialReport.objects.filter(owner=alice).update(
        generated_at=timezone.now() - REPORT_LIFETIME
    )
    assert "older than 4 hours" in alice_client.get(PAGE).content.decode()
    renewed = download(alice_client).content
    assert renewed != first
    assert rows(renewed)[1][8] == "true"  # access_key_1_active: the new key


def test_a_download_while_another_request_generates_says_to_try_again(alice_client, alice):
    CredentialReport.objects.create(owner=alice, generated_at=timezone.now())  # a claim
    response = alice_client.post(DOWNLOAD, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    html = response.content.decode()
    assert REPORT_IN_PROGRESS in html
    assert "A credential report is being generated now." in html


def test_each_account_downloads_its_own_report_only(alice_client, alice, mallory_client, mallory):
    alices = download(alice_client).content
    mallorys = download(mallory_client).content
    assert alice.account_id in alices.decode() and alice.account_id not in mallorys.decode()
    assert mallory.account_id in mallorys.decode()
    assert CredentialReport.objects.get(owner=alice).content.encode() == alices


def test_the_download_is_a_post_with_a_csrf_token(alice_client, alice, anonymous_client):
    assert alice_client.get(DOWNLOAD).status_code == 405
    assert alice_client.post(DOWNLOAD, with_csrf=False).status_code == 403
    response = anonymous_client.post(DOWNLOAD)
    assert response.status_code == 302 and response["Location"].startswith("/signin?next=")
    assert not CredentialReport.objects.exists()


# ------------------------------------------------------------- last use beside each key


def key_row(html: str, access_key_id: str) -> str:
    return html.split(f'<tr id="key-{access_key_id}">')[1].split("</tr>")[0]


def cell(row: str, label: str) -> str:
    match = re.search(rf'<td[^>]*data-label="{label}">(.*?)</td>', row, re.S)
    assert match, label
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_a_never_used_key_says_so_beside_its_age_and_keeps_na(alice_client, alice):
    key = make_access_key(alice).access_key
    AccessKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - timedelta(days=12))
    row = key_row(alice_client.get("/iam/security_credentials").content.decode(), key.pk)
    assert cell(row, "Created").endswith("12 days old Never used")
    assert cell(row, "Last Used") == "N/A"  # the column keeps the contract's "N/A"

    html = alice_client.get(f"/iam/security_credentials/access-keys/{key.pk}/delete").content
    assert (
        "This access key has never been used (last used: N/A) in the 12 days since it was created."
        in html.decode()
    )


def test_a_key_unused_for_days_says_for_how_many(alice_client, alice):
    key = make_access_key(alice).access_key
    access_key_record_use(
        access_key=key,
        region="eu-central-1",
        service="sts",
        at=timezone.now() - timedelta(days=120, hours=1),
    )
    row = key_row(alice_client.get("/iam/security_credentials").content.decode(), key.pk)
    assert cell(row, "Last Used").endswith("UTC Not used for 120 days")
    assert "Never used" not in row
    assert (cell(row, "Last Used Region"), cell(row, "Last Used Service")) == (
        "eu-central-1",
        "sts",
    )

    # The delete confirmation shows the last use, and how long ago, before anything goes.
    html = alice_client.get(
        f"/iam/security_credentials/access-keys/{key.pk}/delete", headers=HX
    ).content.decode()
    last_use = re.search(r'<p class="last-use">(.*?)</p>', html, re.S).group(1)
    text_only = re.sub(r"<[^>]+>", "", last_use)
    assert re.fullmatch(
        r"This access key was last used on \w{3} \d+, \d{4}, \d\d:\d\d UTC in region "
        r"eu-central-1 with service sts \(not used for 120 days\)\. "
        r"Make sure that it is no longer in use\.",
        text_only,
    ), text_only
