"""The one-time window in which a new secret can be shown and downloaded.

It lives in the server-side session of the browser that made the key: it opens at
creation and closes at Close, at the first other console page loaded, or after
``SECRET_WINDOW_SECONDS``, whichever comes first. The secret itself stays encrypted in
the database (the API needs it to verify signatures); the window only says whether this
session may still see it.
"""

import time

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "secret_window"


def open_secret_window(request: HttpRequest, *, access_key_id: str) -> None:
    request.session[SESSION_KEY] = {
        "access_key_id": access_key_id,
        "expires_at": time.time() + settings.SECRET_WINDOW_SECONDS,
    }


def close_secret_window(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def secret_window_is_open(request: HttpRequest, *, access_key_id: str) -> bool:
    window = request.session.get(SESSION_KEY)
    if not window or window.get("access_key_id") != access_key_id:
        return False
    if time.time() >= window.get("expires_at", 0):
        close_secret_window(request)
        return False
    return True


def keeps_secret_window(view):  # type: ignore[no-untyped-def]
    """Mark a view as part of the dialog, so that loading it leaves the window open."""
    view.keeps_secret_window = True
    return view
