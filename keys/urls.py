from django.urls import path

from . import api, views

KEY = "iam/security_credentials/access-keys/<str:access_key_id>"

urlpatterns = [
    path("iam/security_credentials", views.security_credentials, name="security_credentials"),
    path(
        "iam/security_credentials/access-keys/create", views.create, name="access_key_create"
    ),
    path(f"{KEY}/created", views.created, name="access_key_created"),
    path(f"{KEY}/rootkey.csv", views.download_rootkey, name="access_key_download"),
    path(f"{KEY}/cli.csv", views.download_cli, name="access_key_download_cli"),
    path(f"{KEY}/close", views.close, name="access_key_close"),
    path(f"{KEY}/deactivate", views.deactivate, name="access_key_deactivate"),
    path(f"{KEY}/activate", views.activate, name="access_key_activate"),
    path(f"{KEY}/delete", views.delete, name="access_key_delete"),
    path("api", api.endpoint, name="api"),
    path("api/", api.endpoint),
]
