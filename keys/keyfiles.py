"""The key files a new access key can be downloaded as, exactly once per window."""

import csv
import io
import re

from django.http import HttpResponse

from .models import AccessKey


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def rootkey_csv(access_key: AccessKey, secret: str) -> str:
    return _csv([["Access key ID", "Secret access key"], [access_key.access_key_id, secret]])


def cli_profile_name(account_name: str) -> str:
    """The account name made safe as an AWS CLI profile name (no spaces, brackets, dots…)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", account_name).strip("-")
    return name or "root"


def cli_import_csv(access_key: AccessKey, secret: str) -> str:
    """What `aws configure import --csv file://…` (AWS CLI v2) accepts as it is."""
    return _csv(
        [
            ["User Name", "Access key ID", "Secret access key"],
            [cli_profile_name(access_key.owner.account_name), access_key.access_key_id, secret],
        ]
    )


def attachment(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
