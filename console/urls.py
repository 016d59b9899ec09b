from django.urls import include, path

from . import views

handler500 = "console.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("iam/home", views.dashboard, name="dashboard"),
    path("iam/users", views.iam_users, name="iam_users"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # The credentials page and its actions first: Django tries the patterns in order, and
    # that page is the console's busiest (no path matches in both apps).
    path("", include("keys.urls")),
    path("", include("accounts.urls")),
]
