"""The Jinja2 helpers give what Django's own filters and tags give."""

from datetime import UTC, datetime, timedelta, timezone

from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from console import jinja2

moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(moment=moments, fmt=st.sampled_from(["c", "M j, Y, H:i", "M j, Y, H:i:s"]))
def test_the_fast_date_formats_match_djangos(moment: datetime, fmt: str) -> None:
    assert jinja2.date(moment, fmt) == defaultfilters.date(moment, fmt)


def test_other_formats_and_other_zones_go_through_django() -> None:
    moment = datetime(2026, 11, 27, 23, 5, 9, tzinfo=timezone(timedelta(hours=2)))
    assert jinja2.date(moment, "D, d M Y") == "Fri, 27 Nov 2026"
    # Shown in the current time zone (UTC), as a Django template shows it.
    assert jinja2.date(moment, "M j, Y, H:i") == "Nov 27, 2026, 21:05"
    assert jinja2.date(None, "c") == ""


def test_urls_and_static_files_are_djangos(settings) -> None:  # type: ignore[no-untyped-def]
    assert jinja2.url("security_credentials") == reverse("security_credentials")
    key_id = "AKIAIOSFODNN7EXAMPLE"
    assert jinja2.url("access_key_delete", key_id) == reverse(
        "access_key_delete", args=[key_id]
    )
    assert static("console/console.css").endswith(".css")
    settings.STATIC_URL = "/assets/"
    assert static("console/console.css").startswith("/assets/console/console")


def test_the_htmx_script_is_django_htmxs_with_the_pages_nonce() -> None:
    from django_htmx.jinja import htmx_script

    assert jinja2.htmx_script("a+b/c=") == htmx_script(nonce="a+b/c=")
    assert jinja2.htmx_script('"><x') == htmx_script(nonce='"><x')
    assert jinja2.htmx_script(None) == htmx_script()
    assert jinja2.static("console/console.css") == static("console/console.css")
