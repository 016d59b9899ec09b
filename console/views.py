"""The console chrome's own pages: the IAM dashboard, the IAM users page, health checks."""

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from keys.crypto import InvalidToken, decrypt_secret
from keys.models import AccessKey
from keys.stored_secrets import stored_secrets


def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard" if request.user.is_authenticated else "signin")


@never_cache
@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    access_keys = list(AccessKey.objects.for_owner(request.user))
    active = [key for key in access_keys if key.is_active]
    stale = [key for key in active if key.needs_rotation]
    return render(
        request,
        "console/dashboard.html",
        {
            "access_keys": access_keys,
            "active_keys": active,
            "stale_keys": stale,
            "has_mfa": request.user.mfa_devices.exists(),
        },
    )


@never_cache
@login_required
@require_safe
def iam_users(request: HttpRequest) -> HttpResponse:
    return render(request, "console/iam_users.html")


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and serving. Touches nothing else, so it never flaps with the DB."""
    return HttpResponse("ok\n", content_type="text/plain")


def readyz(request: HttpRequest) -> HttpResponse:
    """Ready for traffic: the database answers, every migration is applied, and the
    configured KEYS_ENCRYPTION_KEYS open the stored secrets (a key dropped before
    ``rotate_encryption_keys`` ran would fail every API call and MFA sign-in)."""
    checks = {"database": "ok", "migrations": "ok", "secrets": "ok"}
    status = 200
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrations_applied(connection):
            checks["migrations"] = "pending"
            checks["secrets"] = "unknown"
            status = 503
        elif not _oldest_secrets_open():
            checks["secrets"] = "unreadable"
            status = 503
    except DatabaseError:
        checks = dict.fromkeys(checks, "unknown") | {"database": "unreachable"}
        status = 503
    response = JsonResponse(checks, status=status)
    response["Cache-Control"] = "no-store"
    return response


_migrations_known_applied = False


def _migrations_applied(connection) -> bool:  # type: ignore[no-untyped-def]
    global _migrations_known_applied
    if not _migrations_known_applied:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _migrations_known_applied = not plan  # once applied, they stay applied for this code
    return _migrations_known_applied


_secrets_known_open_with: tuple[str, ...] | None = None


def _oldest_secrets_open() -> bool:
    """The oldest stored secret of each kind opens with the configured keys: the ones
    that would still be under a key dropped too early, as rotation re-encrypts them all.
    Checked once for each set of keys: what opens under it stays open."""
    global _secrets_known_open_with
    keys = tuple(settings.KEYS_ENCRYPTION_KEYS)
    if _secrets_known_open_with == keys:
        return True
    for _, rows in stored_secrets():
        oldest = rows.order_by("created_at").values_list("secret_ciphertext", flat=True).first()
        try:
            if oldest is not None:
                decrypt_secret(oldest)
        except InvalidToken:
            return False
    _secrets_known_open_with = keys
    return True


def server_error(request: HttpRequest) -> HttpResponse:
    """Uncaught errors: a database outage is a 503 that recovers by itself; anything else a
    plain 500. Neither touches the database nor shows a traceback. (/api answers its own
    failures in AWS XML: keys.api.endpoint.answer.)"""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, (DatabaseError, InterfaceError))
    template = "503.html" if unavailable else "500.html"
    body = loader.get_template(template).render()
    response = HttpResponse(body, status=503 if unavailable else 500)
    if unavailable:
        response["Retry-After"] = "5"
    response["Cache-Control"] = "no-store"
    return response
