"""console/htmx.py tells htmx's requests as django-htmx's ``request.htmx`` tells them."""

import pytest
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from console.htmx import is_htmx, is_htmx_fragment

VALUES = [None, "true", "false", "TRUE", "", "1"]


@pytest.mark.parametrize("hx_request", VALUES)
@pytest.mark.parametrize("hx_boosted", VALUES)
def test_htmx_requests_are_told_as_django_htmx_tells_them(hx_request, hx_boosted):
    headers = {
        name: value
        for name, value in (("HX-Request", hx_request), ("HX-Boosted", hx_boosted))
        if value is not None
    }
    request = RequestFactory().get("/iam/security_credentials", headers=headers)
    details = HtmxDetails(request)
    assert is_htmx(request) is bool(details)
    assert is_htmx_fragment(request) is (bool(details) and not details.boosted)
