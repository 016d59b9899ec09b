"""AWS's IAM credential report for the root user: the CSV, where it is kept, and its life.

One report per account, kept in the database so that every app server answers with the same
one. As at AWS, a report younger than :data:`REPORT_LIFETIME` is reused, and an older one has
expired: GenerateCredentialReport makes a new one, GetCredentialReport refuses the old one.

Generating takes milliseconds, so it finishes inside the request that asks for it; it is
still done in two steps, a claim (committed) and then the CSV, so that a second app server
asked meanwhile answers ``INPROGRESS`` / ``ReportInProgress`` as AWS does, instead of
building the same report twice.

The module holds the model but imports no other model of this app (it reads keys through
``owner.access_keys``), so that keys/models.py can import it to register it.
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import MFADevice

from .exceptions import (
    CredentialReportExpired,
    CredentialReportInProgress,
    CredentialReportNotPresent,
)

# AWS reuses a report for four hours; after that it has expired and a new one is made.
REPORT_LIFETIME = timedelta(hours=4)
# A claim older than this was abandoned (its server died mid-way): the next request starts over.
GENERATION_TIMEOUT = timedelta(minutes=5)
REPORT_FORMAT = "text/csv"

# AWS's columns, in AWS's order (IAM User Guide, "Understanding the report format").
COLUMNS = (
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
)
ROOT_USER = "<root_account>"
NOT_APPLICABLE = "N/A"
NOT_SUPPORTED = "not_supported"  # AWS's value for the password columns root lacks
NO_INFORMATION = "no_information"  # a password never used to sign in
REPORT_KEY_SLOTS = (1, 2)  # the report has columns for two keys; a key's slot picks its columns


class ReportState(StrEnum):
    """GenerateCredentialReport's answer."""

    STARTED = "STARTED"
    INPROGRESS = "INPROGRESS"
    COMPLETE = "COMPLETE"


class CredentialReport(models.Model):
    """The account's latest credential report, or the claim of one being generated."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="credential_report",
    )
    # When generation started: AWS's GeneratedTime, and where the four hours count from.
    generated_at = models.DateTimeField()
    # Null while the report is being generated (claimed, no CSV yet).
    completed_at = models.DateTimeField(null=True, blank=True)
    content = models.TextField(blank=True)  # the CSV

    def __str__(self) -> str:
        return f"Credential report of {self.owner_id} at {self.generated_at:%Y-%m-%dT%H:%M:%SZ}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    def has_expired(self, now: datetime) -> bool:
        return now - self.generated_at >= REPORT_LIFETIME

    def is_abandoned(self, now: datetime) -> bool:
        return not self.is_complete and now - self.generated_at >= GENERATION_TIMEOUT

    def content_bytes(self) -> bytes:
        return self.content.encode("utf-8")


# ------------------------------------------------------------------------------ the CSV


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC, whole seconds, ``+00:00``: how AWS writes the report's dates."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _report_subject(owner_pk: object) -> AbstractBaseUser:
    """The root user as the report sees it, read fresh, with its keys: two queries. Whatever
    else a column needs goes onto this one query: ``mfa_active`` is whether any MFA device
    exists (AWS counts an authenticator app and a passkey alike)."""
    return (
        get_user_model()
        .objects.annotate(mfa_active=Exists(MFADevice.objects.filter(owner=OuterRef("pk"))))
        .prefetch_related("access_keys")
        .get(pk=owner_pk)
    )


def _root_row(owner: AbstractBaseUser) -> dict[str, str]:
    last_sign_in = owner.last_login
    row = {
        "user": ROOT_USER,
        "arn": owner.arn,
        "user_creation_time": timestamp(owner.date_joined),
        "password_enabled": NOT_SUPPORTED,
        "password_last_used": timestamp(last_sign_in) if last_sign_in else NO_INFORMATION,
        "password_last_changed": NOT_SUPPORTED,
        "password_next_rotation": NOT_SUPPORTED,
        "mfa_active": _bool(owner.mfa_active),
        # The root user has no X.509 signing certificates here.
        "cert_1_active": "false",
        "cert_1_last_rotated": NOT_APPLICABLE,
        "cert_2_active": "false",
        "cert_2_last_rotated": NOT_APPLICABLE,
    }
    keys_by_slot = {access_key.slot: access_key for access_key in owner.access_keys.all()}
    for slot in REPORT_KEY_SLOTS:
        access_key = keys_by_slot.get(slot)
        prefix = f"access_key_{slot}_"
        if access_key is None:
            row |= {
                f"{prefix}active": "false",
                f"{prefix}last_rotated": NOT_APPLICABLE,
                f"{prefix}last_used_date": NOT_APPLICABLE,
                f"{prefix}last_used_region": NOT_APPLICABLE,
                f"{prefix}last_used_service": NOT_APPLICABLE,
            }
            continue
        used_at = access_key.last_used_at
        row |= {
            f"{prefix}active": _bool(access_key.is_active),
            f"{prefix}last_rotated": timestamp(access_key.created_at),
            f"{prefix}last_used_date": timestamp(used_at) if used_at else NOT_APPLICABLE,
            f"{prefix}last_used_region": access_key.last_used_region or NOT_APPLICABLE,
            f"{prefix}last_used_service": access_key.last_used_service or NOT_APPLICABLE,
        }
    return row


def _bool(value: bool) -> str:
    return "true" if value else "false"


def credential_report_csv(*, owner: AbstractBaseUser) -> str:
    """The report as it stands now: AWS's header and the one ``<root_account>`` row."""
    buffer = io.StringIO()
    # DictWriter refuses a column that is not AWS's, and the header keeps AWS's order.
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerow(_root_row(_report_subject(owner.pk)))
    return buffer.getvalue()


# --------------------------------------------------------------------------- services


def credential_report_generate(
    *, owner: AbstractBaseUser, now: datetime | None = None
) -> ReportState:
    """GenerateCredentialReport: ``COMPLETE`` while a report younger than REPORT_LIFETIME
    exists, ``INPROGRESS`` while another request generates one, else ``STARTED``, having
    made the report (it is quick; AWS answers STARTED before it is done, and the next call
    COMPLETE, which is what a client polling for COMPLETE sees here too)."""
    now = now or timezone.now()
    with transaction.atomic():
        # One claim per account at a time: the owner's row is locked on PostgreSQL, the
        # database write-locked on SQLite (IMMEDIATE transactions), as access_key_create does.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).exists()
        report = CredentialReport.objects.filter(owner_id=owner.pk).first()
        if report is not None and not report.has_expired(now):
            if report.is_complete:
                return ReportState.COMPLETE
            if not report.is_abandoned(now):
                return ReportState.INPROGRESS
        if report is None:
            CredentialReport.objects.create(owner_id=owner.pk, generated_at=now)
        else:
            CredentialReport.objects.filter(owner_id=owner.pk).update(
                generated_at=now, completed_at=None, content=""
            )
    claim = CredentialReport.objects.filter(owner_id=owner.pk, generated_at=now)
    try:
        content = credential_report_csv(owner=owner)
    except BaseException:
        # No half-made report: drop this claim (unless the database itself is away, in
        # which case it is abandoned and the next request after GENERATION_TIMEOUT redoes it).
        claim.filter(completed_at__isnull=True).delete()
        raise
    # Only our own claim: one that outlived GENERATION_TIMEOUT may have been replaced.
    claim.update(content=content, completed_at=timezone.now())
    return ReportState.STARTED


def credential_report_get(
    *, owner: AbstractBaseUser, now: datetime | None = None
) -> CredentialReport:
    """GetCredentialReport: the complete report younger than REPORT_LIFETIME, or the
    reason there is none."""
    now = now or timezone.now()
    report = CredentialReport.objects.filter(owner_id=owner.pk).first()
    if report is None or report.is_abandoned(now):
        raise CredentialReportNotPresent()
    if not report.is_complete:
        raise CredentialReportInProgress()
    if report.has_expired(now):
        raise CredentialReportExpired()
    return report


def credential_report_latest(*, owner: AbstractBaseUser) -> CredentialReport:
    """The console's download: the report the API would give, made now when none younger
    than REPORT_LIFETIME exists. Raises CredentialReportInProgress while another request
    is generating it."""
    credential_report_generate(owner=owner)
    return credential_report_get(owner=owner)


def credential_report_of(owner: AbstractBaseUser) -> CredentialReport | None:
    """The account's latest report or claim, whatever its state (the console page says which)."""
    return CredentialReport.objects.filter(owner_id=owner.pk).first()
