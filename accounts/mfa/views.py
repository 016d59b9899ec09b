"""The MFA pages: the Assign MFA device wizard, Remove, and the sign-in's second step.

Plain forms and full pages throughout; only the passkey ceremony needs JavaScript
(static/console/passkeys.js), and without it those pages say so.
"""

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from console.actions import action
from keys.crypto import decrypt_secret, encrypt_secret

from .. import throttle
from ..events import Action, EventContext, event_record
from ..models import MFADevice
from ..views import AUTH_FAILED, safe_next
from . import passkeys, pending, totp
from .forms import AssignMFADeviceForm, AuthenticatorAppCodesForm, SignInMFACodeForm
from .services import (
    MFA_DEVICE_LIMIT,
    MFADeviceLimitExceeded,
    MFAError,
    check_can_assign,
    mfa_device_create_passkey,
    mfa_device_create_totp,
    mfa_device_remove,
)

WIZARD = "mfa_wizard"
# How long a wizard's unconfirmed seed lives in the session (encrypted) before it is dropped.
WIZARD_SECONDS = 10 * 60
CODES_REFUSED = (
    "The MFA codes were not accepted. Enter two consecutive codes from your authenticator "
    "app: the code it shows now, then the next one after it changes. Nothing was saved."
)
WIZARD_GONE = "The setup of this MFA device has expired or was finished. Start again."


def mfa_section_url() -> str:
    return reverse("security_credentials") + "?expanded=mfa#mfa"


# ------------------------------------------------------------------------- the wizard


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest) -> HttpResponse:
    """Step one: "Device name" and the type, then Next."""
    available = passkeys.rp_id(request) is not None
    form = AssignMFADeviceForm(request.POST or None, passkeys_available=available)
    error = None
    if request.method == "POST" and form.is_valid():
        name, kind = form.cleaned_data["name"], form.cleaned_data["kind"]
        try:
            check_can_assign(owner=request.user, name=name)
        except MFAError as refused:
            error = str(refused)
        else:
            state = {"name": name, "kind": kind, "expires_at": time.time() + WIZARD_SECONDS}
            if kind == MFADevice.Kind.TOTP:
                state["secret"] = encrypt_secret(totp.new_secret())  # encrypted in the session too
            request.session[WIZARD] = state
            return redirect("mfa_totp" if kind == MFADevice.Kind.TOTP else "mfa_passkey")
    at_limit = MFADevice.objects.for_owner(request.user).count() >= MFA_DEVICE_LIMIT
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/mfa/assign.html",
        {
            "form": form,
            "error": error,
            "passkeys_available": available,
            "unavailable_by_ip": passkeys.UNAVAILABLE_BY_IP,
            "needs_javascript": passkeys.NEEDS_JAVASCRIPT,
            "at_limit": at_limit,
            "limit_message": str(MFADeviceLimitExceeded()),
        },
        status=status,
    )


def _wizard(request: HttpRequest, kind: str) -> dict | None:
    state = request.session.get(WIZARD)
    if not isinstance(state, dict) or state.get("kind") != kind:
        return None
    if time.time() > state.get("expires_at", 0):
        request.session.pop(WIZARD, None)
        return None
    return state


def _wizard_gone(request: HttpRequest) -> HttpResponse:
    messages.error(request, WIZARD_GONE)
    return redirect("mfa_assign")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("code_1", "code_2")
@sensitive_variables("secret")
def authenticator_app(request: HttpRequest) -> HttpResponse:
    """Step two for an authenticator app: the QR code or the secret key, two codes, Add MFA."""
    state = _wizard(request, MFADevice.Kind.TOTP)
    if state is None:
        return _wizard_gone(request)
    secret = decrypt_secret(state["secret"])
    form = AuthenticatorAppCodesForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        code_1 = totp.normalize_code(form.cleaned_data["code_1"])
        code_2 = totp.normalize_code(form.cleaned_data["code_2"])
        step = (
            totp.consecutive_codes_step(secret, code_1, code_2)
            if code_1 is not None and code_2 is not None
            else None
        )
        if step is None:
            error = CODES_REFUSED
        else:
            try:
                device = mfa_device_create_totp(
                    owner=request.user,
                    name=state["name"],
                    secret=secret,
                    last_used_step=step,
                    context=EventContext.from_request(request),
                )
            except MFAError as refused:
                error = str(refused)
            else:
                request.session.pop(WIZARD, None)  # the seed's window ends here
                messages.success(request, f"MFA device {device.name} has been assigned.")
                return redirect(mfa_section_url())
    elif request.method == "POST":
        error = CODES_REFUSED
    show = request.GET.get("show", "")
    context = {
        "form": form,
        "error": error,
        "device_name": state["name"],
        "show": show,
        "qr_svg": totp.qr_svg(secret, owner=request.user, device_name=state["name"])
        if show == "qr"
        else None,
        "secret_key": secret if show == "secret" else None,
    }
    # never_cache makes it no-store: the seed must not outlive the wizard in any cache.
    return render(
        request, "accounts/mfa/authenticator_app.html", context, status=400 if error else 200
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def passkey(request: HttpRequest) -> HttpResponse:
    """Step two for a passkey: the browser's WebAuthn prompt (passkeys.js), then the result
    posted back as a plain form."""
    state = _wizard(request, MFADevice.Kind.PASSKEY)
    if state is None:
        return _wizard_gone(request)
    error = None
    if request.method == "POST":
        try:
            credential_id, public_key, sign_count = passkeys.verify_registration(
                request,
                owner=request.user,
                device_name=state["name"],
                credential=request.POST.get("credential", ""),
            )
            device = mfa_device_create_passkey(
                owner=request.user,
                name=state["name"],
                credential_id=credential_id,
                public_key=public_key,
                sign_count=sign_count,
                context=EventContext.from_request(request),
            )
        except (passkeys.PasskeyError, MFAError) as refused:
            error = str(refused)
        else:
            request.session.pop(WIZARD, None)
            messages.success(request, f"MFA device {device.name} has been assigned.")
            return redirect(mfa_section_url())
    options = None
    try:
        options = passkeys.registration_options(
            request, owner=request.user, device_name=state["name"]
        )
    except passkeys.PasskeyError as unavailable:
        error = str(unavailable)
    return render(
        request,
        "accounts/mfa/passkey.html",
        {
            "device_name": state["name"],
            "options": options,
            "error": error,
            "needs_javascript": passkeys.NEEDS_JAVASCRIPT,
        },
        status=400 if error else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def remove(request: HttpRequest, device_id: int) -> HttpResponse:
    """GET asks "Remove MFA device?"; POST removes it."""
    from keys.views import render_credentials_page

    # Another account's device is a 404, never a 403.
    device = get_object_or_404(MFADevice.objects.for_owner(request.user), pk=device_id)
    if request.method == "POST":
        mfa_device_remove(device=device, context=EventContext.from_request(request))
        messages.success(request, f"MFA device {device.name} has been removed.")
        return redirect(mfa_section_url())
    return render_credentials_page(request, removing_device=device, open_section="mfa")


# ------------------------------------------------------------------ the sign-in step


def _signin_attempt(request: HttpRequest, email: str) -> throttle.Refusal | None:
    """Counted before the factor is checked, as a password is: a wrong MFA code counts as a
    wrong password, under the same limits (accounts/throttle.py)."""
    context = EventContext.from_request(request)
    return throttle.signin_attempt(email=email, address=context.source_ip)


def _signin_page(
    request: HttpRequest,
    signing_in: pending.PendingSignIn,
    *,
    form: SignInMFACodeForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    devices = MFADevice.objects.for_owner(signing_in.user)
    has_totp = devices.totp().exists()
    has_passkey = devices.passkeys().exists()
    method = request.GET.get("method") or request.POST.get("method") or ""
    if method not in ("totp", "passkey") or (method == "totp" and not has_totp):
        method = "totp" if has_totp else "passkey"
    if method == "passkey" and not has_passkey:
        method = "totp"
    options = None
    if method == "passkey":
        made = passkeys.authentication_options(request, owner=signing_in.user)
        if made is not None:
            options, challenge = made
            pending.remember_passkey_challenge(request, challenge)
    return render(
        request,
        "accounts/signin_mfa.html",
        {
            "form": form or SignInMFACodeForm(),
            "email": signing_in.email,
            "error": error,
            "method": method,
            "other_method": ("passkey" if method == "totp" else "totp")
            if has_totp and has_passkey
            else None,
            "passkey_options": options,
            "passkeys_available": passkeys.rp_id(request) is not None,
            "unavailable_by_ip": passkeys.UNAVAILABLE_BY_IP,
            "needs_javascript": passkeys.NEEDS_JAVASCRIPT
            if has_totp
            else passkeys.SIGN_IN_NEEDS_JAVASCRIPT,
        },
        status=status,
    )


def _refused(
    request: HttpRequest,
    signing_in: pending.PendingSignIn,
    *,
    form: SignInMFACodeForm | None = None,
) -> HttpResponse:
    event_record(
        action=Action.SIGN_IN_FAILURE,
        context=EventContext.from_request(request),
        account=signing_in.user,
        email=signing_in.email,
    )
    return _signin_page(request, signing_in, form=form, error=AUTH_FAILED, status=401)


def _throttled(
    request: HttpRequest, signing_in: pending.PendingSignIn, refusal: throttle.Refusal
) -> HttpResponse:
    if refusal.first:  # once per lock, as for passwords
        event_record(
            action=Action.SIGN_IN_THROTTLED,
            context=EventContext.from_request(request),
            account=signing_in.user,
            email=signing_in.email,
        )
    return _signin_page(request, signing_in, error=refusal.message, status=429)


def _signed_in(request: HttpRequest, signing_in: pending.PendingSignIn) -> HttpResponse:
    throttle.signin_succeeded(
        email=signing_in.email, address=EventContext.from_request(request).source_ip
    )
    pending.complete(request, signing_in)
    event_record(
        action=Action.SIGN_IN,
        context=EventContext.from_request(request),
        account=signing_in.user,
        email=signing_in.email,
    )
    return redirect(safe_next(request, signing_in.next_url))


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("code")
def signin_mfa(request: HttpRequest) -> HttpResponse:
    """The "Multi-factor authentication" step: an MFA code, or a passkey."""
    signing_in = pending.current(request)
    if signing_in is None:
        return redirect("signin")
    if request.method == "GET":
        return _signin_page(request, signing_in)
    refusal = _signin_attempt(request, signing_in.email)
    if refusal:
        return _throttled(request, signing_in, refusal)
    form = SignInMFACodeForm(request.POST)
    if form.is_valid() and totp.verify_totp_code(
        owner=signing_in.user, code=form.cleaned_data["code"]
    ):
        return _signed_in(request, signing_in)
    return _refused(request, signing_in, form=form)


@never_cache
@action
def signin_mfa_passkey(request: HttpRequest) -> HttpResponse:
    """The assertion from **Use passkey or security key**, posted by passkeys.js."""
    signing_in = pending.current(request)
    if signing_in is None:
        return redirect("signin")
    challenge = pending.take_passkey_challenge(request)  # single use, pass or fail
    refusal = _signin_attempt(request, signing_in.email)
    if refusal:
        return _throttled(request, signing_in, refusal)
    if passkeys.verify_authentication(
        request,
        owner=signing_in.user,
        credential=request.POST.get("credential", ""),
        challenge=challenge,
    ):
        return _signed_in(request, signing_in)
    return _refused(request, signing_in)
