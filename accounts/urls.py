from django.urls import path

from . import views

urlpatterns = [
    path("signin", views.signin, name="signin"),
    path("signin/password", views.signin_password, name="signin_password"),
    path("signout", views.signout, name="signout"),
    path(
        "iam/security_credentials/warning",
        views.root_credentials_warning,
        name="root_credentials_warning",
    ),
    path("iam/event_history", views.event_history, name="event_history"),
    path("iam/event_history.csv", views.event_history_csv, name="event_history_csv"),
]
