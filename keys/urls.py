from django.urls import path, register_converter
from django.urls.converters import StringConverter

from . import views
from .ids import ACCESS_KEY_ID_PATTERN


class AccessKeyIdConverter(StringConverter):
    """Only what could be one of our key IDs reaches a view: anything else is a 404 from
    the URL resolver, before any query (PostgreSQL refuses text with NUL bytes, for one)."""

    regex = ACCESS_KEY_ID_PATTERN.pattern.removeprefix("^").removesuffix("$")


register_converter(AccessKeyIdConverter, "access_key_id")

KEY = "iam/security_credentials/access-keys/<access_key_id:access_key_id>"

urlpatterns = [
    path("iam/security_credentials", views.security_credentials, name="security_credentials"),
    path("iam/security_credentials/access-keys/create", views.create, name="access_key_create"),
    path(f"{KEY}/created", views.created, name="access_key_created"),
    path(f"{KEY}/rootkey.csv", views.download_rootkey, name="access_key_download"),
    path(f"{KEY}/cli.csv", views.download_cli, name="access_key_download_cli"),
    path(f"{KEY}/close", views.close, name="access_key_close"),
    path(f"{KEY}/deactivate", views.deactivate, name="access_key_deactivate"),
    path(f"{KEY}/activate", views.activate, name="access_key_activate"),
    path(f"{KEY}/delete", views.delete, name="access_key_delete"),
    path("iam/credential_report", views.credential_report, name="credential_report"),
    path(
        "iam/credential_report/download",
        views.credential_report_download,
        name="credential_report_download",
    ),
]
