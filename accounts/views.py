"""Sign-in in two steps as on AWS, sign-out, and the root-credentials warning."""

import csv
from urllib.parse import urlsplit

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from console.actions import action, is_page

from .events import Action, EventContext, event_record
from .forms import RootCredentialsWarningForm, SignInEmailForm, SignInPasswordForm
from .mfa import pending as mfa_pending
from .models import Event, MFADevice, RootUser
from .throttle import signin_attempt, signin_succeeded
from .warning import WARNING_PASSED

SIGNIN_EMAIL = "signin_email"
SIGNIN_NEXT = "signin_next"
AUTH_FAILED = "Your authentication information is incorrect. Please try again."


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Where a sign-in goes on to: the page that asked for it, if it is a page of this site
    (not an action, whose POST asked for it when the session had ended), else the dashboard."""
    if (
        candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and is_page(urlsplit(candidate).path)
    ):
        return candidate
    return reverse("dashboard")


@never_cache
def signin(request: HttpRequest) -> HttpResponse:
    """Step one: the email address. It never says whether the account exists."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignInEmailForm(
        request.POST or None, initial={"email": request.session.get(SIGNIN_EMAIL)}
    )
    if request.method == "POST" and form.is_valid():
        request.session[SIGNIN_EMAIL] = form.cleaned_data["email"]
        request.session[SIGNIN_NEXT] = safe_next(request, request.POST.get("next"))
        return redirect("signin_password")
    return render(
        request, "accounts/signin.html", {"form": form, "next": request.GET.get("next", "")}
    )


@never_cache
@sensitive_post_parameters("password")
def signin_password(request: HttpRequest) -> HttpResponse:
    """Step two: the password, with one message for a wrong email and a wrong password."""
    if request.user.is_authenticated:
        return redirect("dashboard")  # as step one does
    email = request.session.get(SIGNIN_EMAIL)
    if not email:
        return redirect("signin")
    form = SignInPasswordForm(request.POST or None)
    error = None
    context = EventContext.from_request(request)
    if request.method == "POST":
        # Known and unknown emails take the same path, at the same cost: a lookup, a hash.
        account = RootUser.objects.with_email(email).first()
        refusal = signin_attempt(email=email, address=context.source_ip)
        if refusal:
            if refusal.first:  # once per lock: refused attempts must not flood the history
                event_record(
                    action=Action.SIGN_IN_THROTTLED, context=context, account=account, email=email
                )
            return _password_page(request, form, email, refusal.message, status=429)
        user = None
        if form.is_valid():
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if user is not None:
            next_url = request.session.get(SIGNIN_NEXT) or reverse("dashboard")
            if MFADevice.objects.for_owner(user).exists():
                # A second factor is owed: nothing is signed in until it passes, and the
                # throttle's count is not reset before it does (the attempt stays counted),
                # so knowing the password buys no fresh run of code guesses.
                mfa_pending.begin(request, user=user, email=email, next_url=next_url)
                return redirect("signin_mfa")
            signin_succeeded(email=email, address=context.source_ip)
            login(request, user)  # cycles the session key
            event_record(action=Action.SIGN_IN, context=context, account=user, email=email)
            return redirect(safe_next(request, next_url))
        event_record(action=Action.SIGN_IN_FAILURE, context=context, account=account, email=email)
        error = AUTH_FAILED
    return _password_page(request, form, email, error, status=401 if error else 200)


def _password_page(
    request: HttpRequest, form: SignInPasswordForm, email: str, error: str | None, *, status: int
) -> HttpResponse:
    return render(
        request,
        "accounts/signin_password.html",
        {"form": form, "email": email, "error": error},
        status=status,
    )


@action
def signout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        event_record(
            action=Action.SIGN_OUT, context=EventContext.from_request(request), account=request.user
        )
    logout(request)  # flushes the session on the server: the old cookie opens nothing
    return redirect("signin")


@never_cache
@login_required
def root_credentials_warning(request: HttpRequest) -> HttpResponse:
    form = RootCredentialsWarningForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["dont_show_again"] and not request.user.hide_root_credentials_warning:
            request.user.hide_root_credentials_warning = True
            request.user.save(update_fields=["hide_root_credentials_warning"])
        if form.cleaned_data["go_to"] == form.IAM_USERS:
            return redirect("iam_users")  # not passed: the credentials page asks again
        request.session[WARNING_PASSED] = True
        return redirect("security_credentials")
    return render(request, "accounts/root_credentials_warning.html", {"form": form})


EVENT_COLUMNS = [
    "Event time",
    "Event name",
    "Channel",
    "Access key ID",
    "Source IP address",
    "User agent",
]


@never_cache
@login_required
def event_history(request: HttpRequest) -> HttpResponse:
    """The account's events, newest first, 50 a page."""
    events = Event.objects.for_account(request.user)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/event_history.html", {"page": page, "columns": EVENT_COLUMNS})


@never_cache
@login_required
def event_history_csv(request: HttpRequest) -> StreamingHttpResponse:
    def rows():  # type: ignore[no-untyped-def]
        writer = csv.writer(Echo(), lineterminator="\n")
        yield writer.writerow(EVENT_COLUMNS)
        for event in Event.objects.for_account(request.user).iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    f"{event.occurred_at:%Y-%m-%dT%H:%M:%SZ}",
                    event.action,
                    event.channel,
                    event.access_key_id,
                    event.source_ip or "",
                    _csv_safe(event.user_agent),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="event_history.csv"'
    return response


class Echo:
    def write(self, value: str) -> str:
        return value


def _csv_safe(value: str) -> str:
    # A user agent is attacker-chosen: never let a spreadsheet run it as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
