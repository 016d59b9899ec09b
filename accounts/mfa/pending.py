"""The half-way point of a sign-in: the password was right, an MFA factor is still owed.

Kept only in the server-side session of the browser that typed the password (its key cycled
then, so the state is bound to that browser), for 5 minutes, and taken out when the factor
passes: single use. Nothing here signs a session in; ``complete`` does, and only after a
factor has passed. A password change meanwhile voids it.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest

from ..models import RootUser

PENDING = "mfa_pending"
PENDING_SECONDS = 5 * 60


@dataclass(frozen=True)
class PendingSignIn:
    user: RootUser
    email: str
    next_url: str
    passkey_challenge: str | None


def begin(request: HttpRequest, *, user: RootUser, email: str, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "email": email,
        "next": next_url,
        "auth_hash": user.get_session_auth_hash(),
        "expires_at": time.time() + PENDING_SECONDS,
    }


def current(request: HttpRequest) -> PendingSignIn | None:
    """The pending sign-in of this browser, or None (and then none is kept) when there is
    none, it has expired, or the account changed its password or was disabled."""
    state = request.session.get(PENDING)
    if not isinstance(state, dict):
        return None
    user = RootUser.objects.filter(pk=state.get("user"), is_active=True).first()
    if (
        user is None
        or time.time() > state.get("expires_at", 0)
        or state.get("auth_hash") != user.get_session_auth_hash()
    ):
        discard(request)
        return None
    return PendingSignIn(
        user=user,
        email=state["email"],
        next_url=state["next"],
        passkey_challenge=state.get("passkey_challenge"),
    )


def remember_passkey_challenge(request: HttpRequest, challenge: str) -> None:
    state = dict(request.session[PENDING])
    state["passkey_challenge"] = challenge
    request.session[PENDING] = state


def take_passkey_challenge(request: HttpRequest) -> str | None:
    """The challenge, once: a second use of the same assertion finds none."""
    state = dict(request.session.get(PENDING) or {})
    challenge = state.pop("passkey_challenge", None)
    if state:
        request.session[PENDING] = state
    return challenge


def discard(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def complete(request: HttpRequest, pending: PendingSignIn) -> None:
    """Every factor has passed: sign the session in (cycling its key again)."""
    discard(request)
    login(request, pending.user, backend=settings.AUTHENTICATION_BACKENDS[0])
