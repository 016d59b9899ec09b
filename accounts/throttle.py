"""Sign-in throttling: per email and client address together, and per address across emails.

- One email from one address (an IPv6 client's /64, as below): ``MAX_FAILURES`` failed
  attempts within ``WINDOW`` lock that pair for ``LOCKOUT`` from the attempt that reached the
  limit. The same email from another address, or another email from the same address, is not
  locked: one attacker cannot lock the owner out.
- One address across every email (password spraying): ``ADDRESS_MAX_FAILURES`` failures within
  ``WINDOW`` lock the address for ``LOCKOUT``, whatever email it tries. Generous, so that an
  office behind one NAT never meets it; an IPv6 client counts by its /64, which one subscriber
  usually holds whole.

The API is two calls, for any secret checked at sign-in (a password, an MFA code) or in its
place (Change password's current password):

1. :func:`signin_attempt` before checking the secret. It counts the attempt as a failure
   straight away and answers whether it may go ahead (None) or is refused (a
   :class:`Refusal`). Counting before checking is what makes the limit exact under
   concurrency: twenty simultaneous guesses get ``MAX_FAILURES`` checks, not twenty.
2. :func:`signin_succeeded` once the secret proved right: the pair's count starts again, and
   the address gets its one attempt back. A wrong secret needs no call: it is already counted.

The email is taken in any spelling (accounts.models.normalize_email makes it one). Counts live
in the database (one row per key, changed under a row lock), so every app server shares them.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import SignInThrottle, normalize_email

MAX_FAILURES = 5
ADDRESS_MAX_FAILURES = 100
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
ANY_EMAIL = ""  # the email of an address's row across every email
IPV6_PREFIX = 64


THROTTLED = "Too many failed sign-in attempts for this email address from your network."
THROTTLED_ADDRESS = "Too many failed sign-in attempts from your network."
THROTTLED_PAUSE = (
    f"For your security, sign-in is paused for {int(LOCKOUT.total_seconds()) // 60} minutes; "
    "try again after {time} UTC."
)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused, and until when."""

    until: datetime
    whole_address: bool  # the address's limit across emails, not the pair's
    first: bool  # the first refusal of this lock: the one to record in the event history

    @property
    def message(self) -> str:
        """The refusal in words, wherever a password or code is refused for it."""
        # Rounded up to the minute: "after 10:05" must not be a moment too early.
        until = self.until + timedelta(seconds=59)
        reason = THROTTLED_ADDRESS if self.whole_address else THROTTLED
        return f"{reason} {THROTTLED_PAUSE.format(time=f'{until:%H:%M}')}"


def address_key(address: str | None) -> str:
    """The key an address counts under across emails: IPv4 as it is, IPv6 by its /64."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


def signin_attempt(
    *, email: str, address: str | None, now: datetime | None = None
) -> Refusal | None:
    """Count one sign-in attempt for (email, address), before its secret is checked.

    None: go ahead and check it (it already counts as a failure). A Refusal: answer that
    sign-in is paused until ``refusal.until``, without checking anything.
    """
    now = now or timezone.now()
    pair = (normalize_email(email)[:254], address_key(address))
    whole = (ANY_EMAIL, address_key(address))
    # Make sure both rows exist (outside the transaction: a row made by a concurrent attempt
    # is fine), then lock them, always in the same order, and decide.
    SignInThrottle.objects.bulk_create(
        [SignInThrottle(email=e, address=a, window_started_at=now) for e, a in (whole, pair)],
        ignore_conflicts=True,
    )
    with transaction.atomic():
        rows = list(
            SignInThrottle.objects.select_for_update()
            .filter(Q(email=whole[0], address=whole[1]) | Q(email=pair[0], address=pair[1]))
            .order_by("email", "address")
        )
        limits = [ADDRESS_MAX_FAILURES if row.email == ANY_EMAIL else MAX_FAILURES for row in rows]
        for row in rows:
            _start_again_if_over(row, now)
        for row in rows:
            if row.locked_until is not None:
                first = not row.lock_recorded
                if first:
                    row.lock_recorded = True
                    row.save(update_fields=["lock_recorded"])
                return Refusal(
                    until=row.locked_until, whole_address=row.email == ANY_EMAIL, first=first
                )
        for row, limit in zip(rows, limits, strict=True):
            row.failures += 1
            if row.failures >= limit:
                row.locked_until = now + LOCKOUT
            row.save()
    return None


def signin_succeeded(*, email: str, address: str | None) -> None:
    """The attempt's secret was right: forget the pair's failures, and give the address back
    the attempt that :func:`signin_attempt` counted (and the lock, if that attempt made it)."""
    SignInThrottle.objects.filter(
        email=normalize_email(email)[:254], address=address_key(address)
    ).delete()
    SignInThrottle.objects.filter(
        email=ANY_EMAIL, address=address_key(address), failures__gt=0
    ).update(failures=F("failures") - 1, locked_until=None, lock_recorded=False)


def _start_again_if_over(row: SignInThrottle, now: datetime) -> None:
    """A lock that has run out, or a window that has passed, starts a new count."""
    lock_over = row.locked_until is not None and now >= row.locked_until
    window_over = row.locked_until is None and now - row.window_started_at >= WINDOW
    if lock_over or window_over:
        row.failures = 0
        row.window_started_at = now
        row.locked_until = None
        row.lock_recorded = False
