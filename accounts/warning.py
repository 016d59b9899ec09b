"""The root-credentials warning: shown on the first visit to My Security Credentials in a
session, unless the user asked never to see it again."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

WARNING_PASSED = "root_credentials_warning_passed"  # the session key


def warning_passed(request: HttpRequest) -> bool:
    return bool(request.user.hide_root_credentials_warning or request.session.get(WARNING_PASSED))


def after_root_credentials_warning(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Sends a signed-in user to the warning first, until it is passed (after login_required)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not warning_passed(request):
            return redirect("root_credentials_warning")
        return view(request, *args, **kwargs)

    return wrapper
