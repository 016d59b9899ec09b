"""The Jinja2 environment the console's templates are written for.

Jinja2 compiles a template to Python once; Django's engine rendering the credentials page was
most of its time. The templates keep Django's pieces: ``url()`` is ``reverse`` (and
``links.<name>`` the same for a view without arguments), ``static()`` the static files storage,
``htmx_script()`` django-htmx's tag, and the filters are Django's own ``date``, ``timesince``
(its no-break spaces written as ``&nbsp;``), ``pluralize`` and ``truncatechars``. Django's
Jinja2 backend adds ``request`` and runs the context processors in settings (``csrf_input``,
``user``, ``messages``, ``csp_nonce``).

An unknown name renders as nothing, as in a Django template, in development too (Django's
backend would show it as ``{{ name }}`` under DEBUG).
"""

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import escape
from django_htmx.jinja import htmx_script as django_htmx_script
from jinja2 import Environment, Undefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from console.htmx import is_htmx


@pass_context
def url(context: Context, name: str, *args: Any) -> str:
    """``reverse(name, args=args)``. The script prefix is read once per render (see
    console.context_processors.request_locals): each read of Django's request-local
    prefix costs more than the cached reverse, and a page has a dozen links."""
    prefix = context.get("script_prefix")
    return _reverse(get_script_prefix() if prefix is None else prefix, name, args)


@lru_cache(maxsize=4096)
def _reverse(prefix: str, name: str, args: tuple[Any, ...]) -> str:
    # A URL depends only on these while the URLconf stays the same: a page's links are
    # reversed once per process, not once per render. Bounded (key IDs are in ``args``).
    return reverse(name, args=args)


class Links:
    """``links.<name>``: ``url(name)`` for a view without arguments, as an attribute. The
    console chrome on every page has half a dozen such links, and a template reads an
    attribute for a fraction of what calling ``url()`` costs. With a script prefix (the
    request_locals context processor's, see ``links_for``) each is reversed once per
    process; without one (a page rendered without a request) on each use."""

    def __init__(self, prefix: str | None) -> None:
        self._prefix = prefix

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._prefix is None:
            return _reverse(get_script_prefix(), name, ())
        link = _reverse(self._prefix, name, ())
        setattr(self, name, link)  # read as a plain attribute from now on
        return link


@lru_cache(maxsize=16)
def links_for(prefix: str) -> Links:
    return Links(prefix)


@lru_cache(maxsize=1024)
def static(path: str) -> str:
    """``{% static %}`` with django.contrib.staticfiles installed, worked out once per
    file per process: the manifest is read at start-up and does not change under a running
    server, and every page links the same few files. Forgotten when the settings it depends
    on change (tests)."""
    return staticfiles_storage.url(path)


_NONCE_SLOT = "nonce-slot-3f9c1d"  # passes through format_html unchanged


def htmx_script(nonce: object = None) -> Markup:
    """django-htmx's ``htmx_script`` (its bundled htmx, deferred), built once per process
    with a placeholder where each page's CSP nonce goes."""
    tags = _htmx_tags(settings.DEBUG)
    if nonce is None:
        return Markup(tags.replace(f' nonce="{_NONCE_SLOT}"', ""))  # noqa: S704  # nosec B704
    return Markup(tags.replace(_NONCE_SLOT, escape(str(nonce))))  # noqa: S704  # nosec B704


@lru_cache(maxsize=2)
def _htmx_tags(debug: bool) -> str:
    return str(django_htmx_script(nonce=_NONCE_SLOT))


@receiver(setting_changed)
def _forget_what_settings_decide(*, setting: str, **kwargs: object) -> None:
    if setting in ("ROOT_URLCONF", "STATIC_URL", "STORAGES", "FORCE_SCRIPT_NAME", "DEBUG"):
        _reverse.cache_clear()
        links_for.cache_clear()
        static.cache_clear()
        _htmx_tags.cache_clear()
    if setting in ("USE_TZ", "USE_I18N"):
        _date_settings.cache_clear()


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _minute(d: datetime) -> str:
    return f"{_MONTHS[d.month - 1]} {d.day}, {d.year:04d}, {d.hour:02d}:{d.minute:02d}"


# The formats the templates use, written directly instead of through Django's general
# formatter; tests/console/test_jinja2.py checks them against it.
_FAST_FORMATS: dict[str, Callable[[datetime], str]] = {
    "c": datetime.isoformat,
    "M j, Y, H:i": _minute,
    "M j, Y, H:i:s": lambda d: f"{_minute(d)}:{d.second:02d}",
}


@pass_context
def date(context: Context, value: Any, arg: str | None = None) -> str:
    """Django's ``date`` filter, on the value in the current time zone as a Django
    template gives it (``expects_localtime``); that zone is looked up once per render
    (see console.context_processors.request_locals), not once per date. The console speaks
    English only (USE_I18N is off), so month names need no translation."""
    if value is None or value == "":
        return ""
    zone = context.get("current_timezone")
    use_tz, use_i18n = _date_settings()
    if zone is not None and isinstance(value, datetime) and value.tzinfo is not None:
        if use_tz and getattr(value, "convert_to_local_time", True):
            value = value.astimezone(zone)
    else:
        value = timezone.template_localtime(value)
    fast = _FAST_FORMATS.get(arg or "") if isinstance(value, datetime) else None
    if fast is not None and not use_i18n:
        return fast(value)
    return defaultfilters.date(value, arg)


def timesince(value: Any, arg: Any = None) -> Markup:
    """Django's ``timesince`` filter, its no-break spaces written as ``&nbsp;``. The same
    text in the browser, but the page stays ASCII: one U+00A0 in a page's text made Python
    build and encode the whole page a character at a time, about 2% of the credentials
    page's instructions."""
    text = str(escape(defaultfilters.timesince_filter(value, arg)))
    return Markup(text.replace("\u00a0", "&nbsp;"))  # noqa: S704  # nosec B704 - escaped above


@lru_cache(maxsize=1)
def _date_settings() -> tuple[bool, bool]:
    """USE_TZ and USE_I18N, read once; forgotten when a test changes them."""
    return settings.USE_TZ, settings.USE_I18N


def environment(**options: Any) -> Environment:
    options["undefined"] = Undefined
    env = Environment(**options)  # noqa: S701  # nosec B701 - Django's backend sets autoescape=True
    env.globals.update(
        url=url, links=Links(None), static=static, htmx_script=htmx_script, is_htmx=is_htmx
    )
    env.filters.update(
        date=date,
        timesince=timesince,
        pluralize=defaultfilters.pluralize,
        truncatechars=defaultfilters.truncatechars,
    )
    return env
