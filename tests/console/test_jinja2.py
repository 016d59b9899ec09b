"""The Jinja2 helpers give what Django's own filters and tags give."""

from datetime import UTC, datetime, timedelta, timezone
from html import unescape
from pathlib import Path

from django.template import defaultfilters, engines
from django.templatetags.static import static
from django.test import RequestFactory
from django.urls import reverse, set_script_prefix
from django.utils.timezone import get_current_timezone, override
from hypothesis import given
from hypothesis import strategies as st

from console import jinja2
from console.context_processors import request_locals

moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


def render(source: str, **context: object) -> str:
    return engines["jinja2"].from_string(source).render(context)


@given(moment=moments, fmt=st.sampled_from(["c", "M j, Y, H:i", "M j, Y, H:i:s"]))
def test_the_fast_date_formats_match_djangos(moment: datetime, fmt: str) -> None:
    expected = defaultfilters.date(moment, fmt)
    assert render("{{ m|date(f) }}", m=moment, f=fmt) == expected
    assert render("{{ m|date(f) }}", m=moment, f=fmt, current_timezone=UTC) == expected


def test_dates_show_in_the_current_time_zone_as_django_shows_them() -> None:
    moment = datetime(2026, 11, 27, 23, 5, 9, tzinfo=timezone(timedelta(hours=2)))
    # In the current time zone (UTC), as a Django template shows it.
    assert render("{{ m|date('M j, Y, H:i') }}", m=moment) == "Nov 27, 2026, 21:05"
    with override("Asia/Tokyo"):
        assert render("{{ m|date('M j, Y, H:i') }}", m=moment) == "Nov 28, 2026, 06:05"
        zone = {"current_timezone": get_current_timezone()}
        assert render("{{ m|date('c') }}", m=moment, **zone) == "2026-11-28T06:05:09+09:00"
    assert render("{{ m|date('D, d M Y') }}", m=moment) == "Fri, 27 Nov 2026"
    assert render("{{ m|date('c') }}", m=None) == ""


def test_urls_and_static_files_are_djangos(settings) -> None:  # type: ignore[no-untyped-def]
    assert render("{{ url('security_credentials') }}") == reverse("security_credentials")
    key_id = "AKIAIOSFODNN7EXAMPLE"
    deleting = reverse("access_key_delete", args=[key_id])
    assert render("{{ url('access_key_delete', k) }}", k=key_id) == deleting
    assert static("console/console.css").endswith(".css")
    settings.STATIC_URL = "/assets/"
    assert static("console/console.css").startswith("/assets/console/console")


def test_the_htmx_script_is_django_htmxs_with_the_pages_nonce() -> None:
    from django_htmx.jinja import htmx_script

    assert jinja2.htmx_script("a+b/c=") == htmx_script(nonce="a+b/c=")
    assert jinja2.htmx_script('"><x') == htmx_script(nonce='"><x')
    assert jinja2.htmx_script(None) == htmx_script()
    assert jinja2.static("console/console.css") == static("console/console.css")


def test_urls_carry_the_script_prefix_the_page_was_rendered_with() -> None:
    """Under a script prefix (an app mounted below a path), links carry it: read once per
    render by the request_locals context processor, or from Django when a template is
    rendered without it."""
    key_id = "AKIAIOSFODNN7EXAMPLE"
    source = "{{ url('security_credentials') }} {{ url('access_key_delete', k) }}"
    links = "{{ links.security_credentials }} {{ links.signout }}"
    set_script_prefix("/console/")
    try:
        deleting = reverse("access_key_delete", args=[key_id])
        expected = f"{reverse('security_credentials')} {deleting}"
        assert expected.startswith("/console/iam/")
        assert render(source, k=key_id) == expected
        request = RequestFactory().get("/iam/security_credentials")
        assert render(source, k=key_id, **request_locals(request)) == expected
        expected_links = f"{reverse('security_credentials')} {reverse('signout')}"
        assert render(links) == expected_links  # no request: reversed on each use
        assert render(links, **request_locals(request)) == expected_links
        assert render(links, **request_locals(request)) == expected_links  # once reversed
    finally:
        set_script_prefix("/")
    assert render(source, k=key_id).startswith("/iam/security_credentials /iam/")
    assert render(links) == "/iam/security_credentials /signout"
    assert render(links, **request_locals(RequestFactory().get("/"))) == render(links)


@given(ago=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3000)))
def test_timesince_is_djangos_with_its_no_break_spaces_as_references(ago: timedelta) -> None:
    moment = datetime.now(UTC) - ago
    shown = render("{{ moment|timesince }}", moment=moment)
    assert shown.isascii()
    # Django's own text, once the browser has read the references (a minute may pass).
    assert unescape(shown) in (
        defaultfilters.timesince_filter(moment),
        defaultfilters.timesince_filter(moment - timedelta(minutes=1)),
    )


def test_templates_write_characters_beyond_ascii_as_references() -> None:
    """A page whose text is all ASCII is built and encoded a block at a time; one other
    character anywhere makes Python do the whole page a character at a time."""
    templates = sorted((Path(__file__).resolve().parents[2] / "templates").rglob("*.html"))
    assert templates
    for template in templates:
        assert template.read_text(encoding="utf-8").isascii(), template
