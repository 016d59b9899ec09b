"""The console chrome's own pages: the IAM dashboard, the IAM users page, health checks."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from keys.models import AccessKey

ROTATE_AFTER = timedelta(days=90)


def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard" if request.user.is_authenticated else "signin")


@never_cache
@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    access_keys = list(AccessKey.objects.for_owner(request.user))
    active = [key for key in access_keys if key.is_active]
    stale = [key for key in active if timezone.now() - key.created_at > ROTATE_AFTER]
    return render(
        request,
        "console/dashboard.html",
        {"access_keys": access_keys, "active_keys": active, "stale_keys": stale},
    )


@never_cache
@login_required
@require_GET
def iam_users(request: HttpRequest) -> HttpResponse:
    return render(request, "console/iam_users.html")
