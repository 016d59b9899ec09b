from django.urls import path

from . import password, views
from .mfa import views as mfa_views

MFA = "iam/security_credentials/mfa"

urlpatterns = [
    path("signin", views.signin, name="signin"),
    path("signin/password", views.signin_password, name="signin_password"),
    path("signin/mfa", mfa_views.signin_mfa, name="signin_mfa"),
    path("signin/mfa/passkey", mfa_views.signin_mfa_passkey, name="signin_mfa_passkey"),
    path("signout", views.signout, name="signout"),
    path("iam/security_credentials/password", password.change_password, name="password_change"),
    path(f"{MFA}/assign", mfa_views.assign, name="mfa_assign"),
    path(f"{MFA}/authenticator-app", mfa_views.authenticator_app, name="mfa_totp"),
    path(f"{MFA}/passkey", mfa_views.passkey, name="mfa_passkey"),
    path(f"{MFA}/<int:device_id>/remove", mfa_views.remove, name="mfa_remove"),
    path(
        "iam/security_credentials/warning",
        views.root_credentials_warning,
        name="root_credentials_warning",
    ),
    path("iam/event_history", views.event_history, name="event_history"),
    path("iam/event_history.csv", views.event_history_csv, name="event_history_csv"),
]
