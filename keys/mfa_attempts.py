"""Wrong GetSessionToken TokenCodes, counted per account, so that guessing codes is not cheap.

AWS documents no limit here. A code is one of a million and three are good at any moment
(±1 step), so unlimited guessing at API speed (a thousand requests a second) would find one
within minutes. Here an account gets MAX_FAILURES wrong codes per WINDOW; at 5 per 15 minutes
a guess succeeds about once in 67,000 windows, nearly two years.

Each attempt is counted before its code is checked, under the row's lock (SQLite: the write
lock), so concurrent guesses get MAX_FAILURES checks in all, not one each; a right code
starts the count again. The count is per account, not per client address: a stolen key is
used from anywhere. It is apart from the console's sign-in throttle (accounts/throttle.py),
so a holder of a stolen key cannot lock the owner out of the console.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction

from .exceptions import MfaAttemptsExceeded

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class MfaCodeAttempts(models.Model):
    """An account's GetSessionToken codes in the current window (a row only while counting)."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.failures} MFA code attempts of {self.owner_id}"


def mfa_attempt_begin(*, owner_pk: object, now: datetime) -> None:
    """Count one attempt as a failure before its code is checked; raise MfaAttemptsExceeded
    (nothing counted) when the account has no attempt left in this window."""
    MfaCodeAttempts.objects.bulk_create(
        [MfaCodeAttempts(owner_id=owner_pk, window_started_at=now)], ignore_conflicts=True
    )
    with transaction.atomic():
        row = MfaCodeAttempts.objects.select_for_update().get(owner_id=owner_pk)
        if now - row.window_started_at >= WINDOW:
            row.failures, row.window_started_at = 0, now
        if row.failures >= MAX_FAILURES:
            until = row.window_started_at + WINDOW
            raise MfaAttemptsExceeded(until.strftime("%Y-%m-%dT%H:%M:%SZ"))
        row.failures += 1
        row.save(update_fields=["failures", "window_started_at"])


def mfa_attempt_succeeded(*, owner_pk: object) -> None:
    """The code was right: the account's count starts again."""
    MfaCodeAttempts.objects.filter(owner_id=owner_pk).delete()
