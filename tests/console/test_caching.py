"""console.caching.never_cache gives exactly the headers Django's never_cache gives."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from inspect import iscoroutinefunction
from unittest import mock

import pytest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.views.decorators.cache import never_cache as django_never_cache

from console.caching import NEVER_CACHE_CONTROL, never_cache


def response_with(headers: dict[str, str]) -> HttpResponse:
    response = HttpResponse("page")
    for name, value in headers.items():
        response[name] = value
    return response


@pytest.mark.parametrize(
    "headers",
    [
        {},  # every console page
        {"Cache-Control": "no-store"},  # the secret-gone page
        {"Cache-Control": "max-age=60, public"},
        {"Expires": "Thu, 01 Jan 2037 00:00:00 GMT"},
        {"Cache-Control": "no-cache=Set-Cookie", "Vary": "Cookie"},
    ],
)
def test_the_headers_are_djangos(headers: dict[str, str]) -> None:
    request = RequestFactory().get("/iam/users")
    with mock.patch("time.time", return_value=1_795_000_000.6):  # both read the clock
        ours = never_cache(lambda request: response_with(headers))(request)
        djangos = django_never_cache(lambda request: response_with(headers))(request)
    assert list(ours.headers.items()) == list(djangos.headers.items())
    assert "no-store" in ours["Cache-Control"]


def test_a_fresh_response_gets_the_two_headers_written_directly() -> None:
    request = RequestFactory().get("/iam/users")
    with mock.patch("django.utils.cache.patch_cache_control") as merging:
        response = never_cache(lambda request: HttpResponse("page"))(request)
    merging.assert_not_called()
    assert response["Cache-Control"] == NEVER_CACHE_CONTROL
    assert response["Expires"].endswith(" GMT")


def test_streaming_responses_and_view_arguments_pass_through() -> None:
    def view(request: HttpRequest, key: str) -> StreamingHttpResponse:
        return StreamingHttpResponse(iter([key.encode()]))

    response = never_cache(view)(RequestFactory().get("/x"), key="AKIA")
    assert b"".join(response.streaming_content) == b"AKIA"
    assert response["Cache-Control"] == NEVER_CACHE_CONTROL


def test_a_method_decorated_without_method_decorator_is_refused_as_django_does() -> None:
    class View:
        @never_cache
        def get(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse()

    with pytest.raises(TypeError, match="method_decorator"):
        View().get(RequestFactory().get("/x"))


def test_async_views_get_djangos_decorator() -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    decorated = never_cache(view)
    assert iscoroutinefunction(decorated)
    # In a thread of its own: the browser tests leave an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        response = thread.submit(asyncio.run, decorated(RequestFactory().get("/x"))).result()
    assert response["Cache-Control"] == NEVER_CACHE_CONTROL
