"""Sign-in throttling, keyed on the email address and the client's address together.

After five failures within fifteen minutes, that pair is refused for fifteen minutes from the
fifth failure, while the same email from another address, or another email from the same
address, is not: one attacker cannot lock the owner out. The count lives in the event history
(shared by every app server through the database), so no extra store is needed.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from .models import Event

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


def signin_locked_until(
    *, email: str, source_ip: str | None, now: datetime | None = None
) -> datetime | None:
    """When the pair is locked, the moment it unlocks; else None."""
    now = now or timezone.now()
    recent = list(
        Event.objects.filter(
            email=email.lower()[:254],
            source_ip=source_ip,
            action__in=[Event.Action.SIGN_IN, Event.Action.SIGN_IN_FAILURE],
            occurred_at__gte=now - WINDOW - LOCKOUT,
        )
        .order_by("-occurred_at", "-id")
        .values_list("action", "occurred_at")[:MAX_FAILURES]
    )
    if len(recent) < MAX_FAILURES or any(a == Event.Action.SIGN_IN for a, _ in recent):
        return None
    newest, oldest = recent[0][1], recent[-1][1]
    if newest - oldest > WINDOW:
        return None
    unlocks_at = newest + LOCKOUT
    return unlocks_at if now < unlocks_at else None
