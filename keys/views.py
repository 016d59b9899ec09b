"""The My Security Credentials page and one POST view per action on a key.

A plain request gets a full page (a POST ends in a redirect); an htmx request gets the
access-key section as a fragment from the same view, with any dialog inside it.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from accounts.events import EventContext
from accounts.sections import security_credentials_sections
from accounts.warning import after_root_credentials_warning
from console.actions import action
from console.htmx import is_htmx, is_htmx_fragment

from . import keyfiles
from .credential_report import (
    REPORT_LIFETIME,
    credential_report_latest,
    credential_report_of,
    timestamp,
)
from .crypto import MaskedSecret
from .exceptions import (
    AccessKeyNotFound,
    CredentialReportError,
    KeyLimitExceeded,
    KeyListChanged,
)
from .forms import DeleteAccessKeyForm
from .lookup import keys_of
from .models import (
    ACCESS_KEYS_PER_USER,
    ACCESS_KEYS_PER_USER_IN_WORDS,
    LIMIT_MESSAGE,
    AccessKey,
    owned_key,
)
from .secret_window import (
    close_secret_window,
    keeps_secret_window,
    open_secret_window,
    secret_window_is_open,
)
from .services import (
    access_key_activate,
    access_key_create,
    access_key_deactivate,
    access_key_delete,
)

PAGE = "keys/security_credentials.html"
SECTION = "keys/_access_keys_body.html"
# What each action did, for the live region; an error also says what to do next.
NOT_CREATED_AT_LIMIT = (
    f"No access key was created: you already have {ACCESS_KEYS_PER_USER_IN_WORDS}. "
    "Delete one (make it inactive first to check nothing still uses it), then create a new one."
)
NOT_CREATED_KEYS_CHANGED = (
    "No access key was created: your access keys changed after this page was loaded (in "
    "another browser or through the API). The list below shows the access keys you have now."
)
SHOWN_KEYS = "shown_keys"  # the create form's field: the key IDs its page showed
# Without the key's ID: the same words for another account's key, which no page may echo.
NO_LONGER_EXISTS = (
    "That access key was not found: it may have been deleted elsewhere (another browser or "
    "the API). The list below shows the access keys you have now."
)


def _credentials_url() -> str:
    return reverse("security_credentials") + "?expanded=access-keys#access-keys"


def _owned_key(request: HttpRequest, access_key_id: str) -> AccessKey:
    try:
        return owned_key(keys_of(request.user), access_key_id)
    except AccessKeyNotFound:
        raise Http404 from None


def _on_a_key(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An action on a key that is not the account's (deleted elsewhere since the page was
    loaded, or another account's): the access keys as they are now, with a message, as a 404
    (the same for both, so it tells nothing of other accounts); a fragment for htmx."""

    @functools.wraps(view)
    def acting(request: HttpRequest, access_key_id: str) -> HttpResponse:
        try:
            return view(request, access_key_id)
        except Http404:
            messages.error(request, NO_LONGER_EXISTS)
            return _render(request, status=404)

    return acting


def _render(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    access_keys = keys_of(request.user)
    context = {
        # Every name the section reads, always given: the one list of what it can show
        # (Jinja2 would render a forgotten one as nothing, without a word).
        "created_key": None,
        "secret_access_key": None,  # nosec B105
        "show_secret": False,  # nosec B105
        "deleting_key": None,
        "delete_form": None,
        "access_keys": access_keys,
        "at_key_limit": len(access_keys) >= ACCESS_KEYS_PER_USER,
        "limit_message": LIMIT_MESSAGE,
        "shown_keys_field": SHOWN_KEYS,
        "expanded": True,
        **extra,
    }
    template = SECTION if is_htmx_fragment(request) else PAGE
    if template == PAGE:  # the page's other sections (password, MFA), owned by accounts
        context = {**security_credentials_sections(request), **context}
    return render(request, template, context, status=status)


def render_credentials_page(
    request: HttpRequest, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The whole page, access keys collapsed, for another section's answer (a form with
    its errors, a confirmation)."""
    return _render(request, status=status, **{"expanded": False, **extra})


def _after_action(request: HttpRequest) -> HttpResponse:
    if is_htmx(request):
        return _render(request)
    return redirect(_credentials_url())


@never_cache
@login_required
@require_safe
@after_root_credentials_warning
def security_credentials(request: HttpRequest) -> HttpResponse:
    return _render(request, expanded=request.GET.get("expanded") == "access-keys")


@never_cache
@login_required
@action
@keeps_secret_window
@sensitive_variables("new_key")
def create(request: HttpRequest) -> HttpResponse:
    shown = request.POST.get(SHOWN_KEYS)
    try:
        new_key = access_key_create(
            owner=request.user,
            context=EventContext.from_request(request),
            shown=None if shown is None else frozenset(filter(None, shown.split(","))),
        )
    except KeyLimitExceeded:
        # The section re-renders at the limit, disabled button and limit message included.
        messages.error(request, NOT_CREATED_AT_LIMIT)
        return _after_action(request)
    except KeyListChanged as changed:
        if len(changed.added) == 1 and not is_htmx(request):
            # A second click sent the form again, and the first made this key: its dialog,
            # which shows the secret while this session's window for it is open. Nothing is
            # written to the session here, which would overwrite the first request's window.
            (added,) = changed.added
            return redirect(
                reverse("access_key_created", args=[added]) + "#create-access-key-dialog"
            )
        messages.error(request, NOT_CREATED_KEYS_CHANGED)
        return _after_action(request)
    access_key_id = new_key.access_key.access_key_id
    open_secret_window(request, access_key_id=access_key_id)
    if is_htmx(request):
        return _render(
            request,
            created_key=new_key.access_key,
            secret_access_key=MaskedSecret(new_key.secret_access_key),
        )
    # The anchor scrolls a page without JavaScript to the dialog (far down on a phone).
    return redirect(
        reverse("access_key_created", args=[access_key_id]) + "#create-access-key-dialog"
    )


def _secret_gone(request: HttpRequest) -> HttpResponse:
    response = render(request, "keys/secret_gone.html", status=410)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_GET
@keeps_secret_window
@sensitive_variables("access_key")
def created(request: HttpRequest, access_key_id: str) -> HttpResponse:
    """The Create Access Key dialog, while its one-time window is open."""
    access_key = _owned_key(request, access_key_id)
    if not secret_window_is_open(request, access_key_id=access_key_id):
        return _secret_gone(request)
    return _render(
        request,
        created_key=access_key,
        secret_access_key=MaskedSecret(access_key.secret_access_key()),
        show_secret=request.GET.get("show") == "1",
    )


@never_cache
@login_required
@require_GET
@keeps_secret_window
@sensitive_variables("content")
def download_rootkey(request: HttpRequest, access_key_id: str) -> HttpResponse:
    access_key = _owned_key(request, access_key_id)
    if not secret_window_is_open(request, access_key_id=access_key_id):
        return _secret_gone(request)
    content = keyfiles.rootkey_csv(access_key, access_key.secret_access_key())
    return keyfiles.attachment(content, "rootkey.csv")


@never_cache
@login_required
@require_GET
@keeps_secret_window
@sensitive_variables("content")
def download_cli(request: HttpRequest, access_key_id: str) -> HttpResponse:
    access_key = _owned_key(request, access_key_id)
    if not secret_window_is_open(request, access_key_id=access_key_id):
        return _secret_gone(request)
    content = keyfiles.cli_import_csv(access_key, access_key.secret_access_key())
    profile = keyfiles.cli_profile_name(request.user.account_name)
    return keyfiles.attachment(content, f"{profile}_accessKeys.csv")


@never_cache
@login_required
@action
@_on_a_key
def close(request: HttpRequest, access_key_id: str) -> HttpResponse:
    _owned_key(request, access_key_id)
    close_secret_window(request)  # the middleware has closed it too; this says why
    # The dialog said it when it opened; this stays once it is gone (not the dialog's words).
    messages.success(request, f"Access key {access_key_id} has been created.")
    return _after_action(request)


@never_cache
@login_required
@action
@_on_a_key
def deactivate(request: HttpRequest, access_key_id: str) -> HttpResponse:
    access_key = _owned_key(request, access_key_id)
    try:
        access_key_deactivate(access_key=access_key, context=EventContext.from_request(request))
    except AccessKeyNotFound:
        messages.error(request, NO_LONGER_EXISTS)
    else:
        messages.success(request, f"Access key {access_key_id} is now inactive.")
    return _after_action(request)


@never_cache
@login_required
@action
@_on_a_key
def activate(request: HttpRequest, access_key_id: str) -> HttpResponse:
    access_key = _owned_key(request, access_key_id)
    try:
        access_key_activate(access_key=access_key, context=EventContext.from_request(request))
    except AccessKeyNotFound:
        messages.error(request, NO_LONGER_EXISTS)
    else:
        messages.success(request, f"Access key {access_key_id} is now active.")
    return _after_action(request)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@_on_a_key
def delete(request: HttpRequest, access_key_id: str) -> HttpResponse:
    """GET asks for confirmation (the typed key ID); POST deletes for ever."""
    access_key = _owned_key(request, access_key_id)
    form = DeleteAccessKeyForm(request.POST or None, access_key_id=access_key_id)
    if request.method == "POST" and form.is_valid():
        try:
            access_key_delete(access_key=access_key, context=EventContext.from_request(request))
        except AccessKeyNotFound:
            messages.error(request, NO_LONGER_EXISTS)
        else:
            messages.success(request, f"Access key {access_key_id} has been deleted.")
        return _after_action(request)
    if request.method == "POST":
        messages.error(
            request,
            f"Access key {access_key_id} was not deleted: type its access key ID in the field "
            "to confirm.",
        )
    status = 400 if request.method == "POST" and not is_htmx(request) else 200
    return _render(request, deleting_key=access_key, delete_form=form, status=status)


# ------------------------------------------------------------------------ credential report

REPORT_PAGE = "keys/credential_report.html"
REPORT_IN_PROGRESS = (
    "The credential report is being generated by another request right now. Try again in a moment."
)


@never_cache
@login_required
@require_safe
def credential_report(request: HttpRequest) -> HttpResponse:
    report = credential_report_of(request.user)
    now = timezone.now()
    complete = report is not None and report.is_complete
    return render(
        request,
        REPORT_PAGE,
        {
            "report": report if complete else None,
            "report_expired": complete and report.has_expired(now),
            "generating": report is not None and not complete and not report.is_abandoned(now),
            "lifetime_hours": int(REPORT_LIFETIME.total_seconds() // 3600),
        },
    )


@never_cache
@login_required
@action
def credential_report_download(request: HttpRequest) -> HttpResponse:
    """The same report as GetCredentialReport's, made now when none is fresh: always the
    signed-in user's own, so no other account's report has a URL at all."""
    try:
        report = credential_report_latest(owner=request.user)
    except CredentialReportError:
        messages.error(request, REPORT_IN_PROGRESS)
        return redirect("credential_report")
    filename = "status_reports_" + timestamp(report.generated_at).replace(":", "_") + ".csv"
    return keyfiles.attachment(report.content, filename)
