"""Change password on Your Security Credentials, with AWS's rules for a root user's password.

A change signs out every other session of the user at once: Django keeps a hash of the
password in each session and drops any session whose hash no longer matches; the session of
the browser that made the change gets the new hash and stays signed in.
"""

import string
from functools import lru_cache

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from console.actions import action

from .events import Action, EventContext, event_record
from .models import RootUser
from .throttle import signin_attempt, signin_succeeded

MIN_LENGTH = 8
MAX_LENGTH = 128
CLASSES_NEEDED = 3
_CLASSES = (
    set(string.ascii_uppercase),
    set(string.ascii_lowercase),
    set(string.digits),
)
RULES = (
    f"Use {MIN_LENGTH} to {MAX_LENGTH} characters with at least {CLASSES_NEEDED} of: upper case "
    "letters, lower case letters, numbers and symbols. It can't be your email address."
)
WRONG_CURRENT = "The current password is incorrect."
MISMATCH = "The new passwords don't match."
CHANGED = "Your password has been changed. Your other sessions have been signed out."
# For the page's live region: the fields' own messages are not announced when they appear.
NOT_CHANGED = "Your password was not changed: the message beside the field says why."


def password_problem(password: str, *, email: str) -> str | None:
    """Why AWS would refuse this root password, or None."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"The password must be {MIN_LENGTH} to {MAX_LENGTH} characters long. {RULES}"
    classes = sum(1 for chars in _CLASSES if chars & set(password))
    classes += any(not c.isalnum() for c in password)  # anything else counts as a symbol
    if classes < CLASSES_NEEDED:
        return f"The password is too weak. {RULES}"
    if password.strip().lower() == email.strip().lower():
        return f"The password can't be your email address. {RULES}"
    return None


class RootPasswordValidator:
    """:func:`password_problem` as a Django password validator (AUTH_PASSWORD_VALIDATORS), so
    that every password Django validates (``createrootuser``'s) meets the same rules."""

    def validate(self, password: str, user: RootUser | None = None) -> None:
        problem = password_problem(password, email=getattr(user, "email", "") or "")
        if problem:
            raise ValidationError(problem, code="root_password_rules")

    def get_help_text(self) -> str:
        return RULES


def _password_field(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class ChangePasswordForm(forms.Form):
    current_password = _password_field("Current password", "current-password")
    new_password = _password_field("New password", "new-password")
    confirm_password = _password_field("Confirm new password", "new-password")

    def __init__(
        self, *args: object, user: RootUser, refused: str | None = None, **kwargs: object
    ) -> None:
        """``refused``: why the current password is not even checked (the sign-in throttle)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user
        self.refused = refused

    @sensitive_variables("current")
    def clean_current_password(self) -> str:
        current = self.cleaned_data["current_password"]
        if self.refused:
            raise forms.ValidationError(self.refused)
        if not self.user.check_password(current):
            raise forms.ValidationError(WRONG_CURRENT)
        return current

    @sensitive_variables("new")
    def clean_new_password(self) -> str:
        new = self.cleaned_data["new_password"]
        problem = password_problem(new, email=self.user.email)
        if problem:
            raise forms.ValidationError(problem)
        return new

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        new, confirm = cleaned.get("new_password"), cleaned.get("confirm_password")
        if new is not None and confirm is not None and new != confirm:
            self.add_error("confirm_password", MISMATCH)
        return cleaned


def password_fields(form: ChangePasswordForm | None = None) -> SafeString:
    """Change password's fields as Django renders them: ``form``'s, with its errors, or
    a blank form's. A blank form is the same markup for every user (a password input never
    shows a value), so it is rendered once per process, not on every page load."""
    if form is None:
        return _blank_fields() if not settings.DEBUG else _fields(_blank_form())
    return _fields(form)


def _fields(form: ChangePasswordForm) -> SafeString:
    context = {"password_form": form, "password_rules": RULES}
    # An autoescaping template's output, kept safe when the page prints it.
    html = render_to_string("accounts/_password_fields.html", context)
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


def _blank_form() -> ChangePasswordForm:
    return ChangePasswordForm(user=RootUser())


@lru_cache(maxsize=1)
def _blank_fields() -> SafeString:
    return _fields(_blank_form())


@receiver(setting_changed)
def _forget_blank_fields(*, setting: str, **kwargs: object) -> None:
    if setting in ("TEMPLATES", "FORM_RENDERER", "DEBUG"):
        _blank_fields.cache_clear()


@sensitive_variables("new_password")
def password_change(*, user: RootUser, new_password: str, context: EventContext | None) -> None:
    """Set the new password and record it; every session still holding the old password's
    hash is signed out on its next request."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        event_record(action=Action.CHANGE_PASSWORD, context=context, account=user)


def password_url() -> str:
    return reverse("security_credentials") + "?expanded=password#password"


@never_cache
@login_required
@action
@sensitive_post_parameters("current_password", "new_password", "confirm_password")
def change_password(request: HttpRequest) -> HttpResponse:
    from keys.views import render_credentials_page  # the page this section lives on

    # The current password is guessed no faster here than at sign-in: the same throttle.
    context = EventContext.from_request(request)
    email = request.user.email
    refusal = signin_attempt(email=email, address=context.source_ip)
    refused = refusal.message if refusal else None
    form = ChangePasswordForm(request.POST, user=request.user, refused=refused)
    valid = form.is_valid()
    if not refused and "current_password" not in form.errors:
        signin_succeeded(email=email, address=context.source_ip)  # it was the password
    if not valid:
        messages.error(request, NOT_CHANGED)
        return render_credentials_page(
            request,
            status=429 if refused else 400,
            password_fields=password_fields(form),
            open_section="password",
        )
    password_change(
        user=request.user, new_password=form.cleaned_data["new_password"], context=context
    )
    update_session_auth_hash(request, request.user)  # this browser stays signed in
    messages.success(request, CHANGED)
    return redirect(password_url())
