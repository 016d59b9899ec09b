from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("iam/home", views.dashboard, name="dashboard"),
    path("iam/users", views.iam_users, name="iam_users"),
    path("", include("accounts.urls")),
    path("", include("keys.urls")),
]
