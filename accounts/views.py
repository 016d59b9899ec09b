"""Sign-in in two steps as on AWS, sign-out, and the root-credentials warning."""

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from .forms import RootCredentialsWarningForm, SignInEmailForm, SignInPasswordForm

SIGNIN_EMAIL = "signin_email"
SIGNIN_NEXT = "signin_next"
WARNING_PASSED = "root_credentials_warning_passed"
AUTH_FAILED = "Your authentication information is incorrect. Please try again."


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("dashboard")


@never_cache
def signin(request: HttpRequest) -> HttpResponse:
    """Step one: the email address. It never says whether the account exists."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignInEmailForm(request.POST or None, initial={"email": request.session.get(SIGNIN_EMAIL)})
    if request.method == "POST" and form.is_valid():
        request.session[SIGNIN_EMAIL] = form.cleaned_data["email"]
        request.session[SIGNIN_NEXT] = _safe_next(request, request.POST.get("next"))
        return redirect("signin_password")
    return render(
        request, "accounts/signin.html", {"form": form, "next": request.GET.get("next", "")}
    )


@never_cache
@sensitive_post_parameters("password")
def signin_password(request: HttpRequest) -> HttpResponse:
    """Step two: the password, with one message for a wrong email and a wrong password."""
    email = request.session.get(SIGNIN_EMAIL)
    if not email:
        return redirect("signin")
    form = SignInPasswordForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if user is not None:
            next_url = request.session.get(SIGNIN_NEXT) or reverse("dashboard")
            login(request, user)  # cycles the session key
            return redirect(_safe_next(request, next_url))
        error = AUTH_FAILED
    elif request.method == "POST":
        error = AUTH_FAILED
    return render(
        request,
        "accounts/signin_password.html",
        {"form": form, "email": email, "error": error},
        status=401 if error else 200,
    )


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)  # flushes the session on the server: the old cookie opens nothing
    return redirect("signin")


@never_cache
@login_required
def root_credentials_warning(request: HttpRequest) -> HttpResponse:
    form = RootCredentialsWarningForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request.session[WARNING_PASSED] = True
        if form.cleaned_data["dont_show_again"] and not request.user.hide_root_credentials_warning:
            request.user.hide_root_credentials_warning = True
            request.user.save(update_fields=["hide_root_credentials_warning"])
        return redirect("security_credentials")
    return render(request, "accounts/root_credentials_warning.html", {"form": form})


def root_credentials_warning_passed(request: HttpRequest) -> bool:
    return bool(request.user.hide_root_credentials_warning or request.session.get(WARNING_PASSED))
