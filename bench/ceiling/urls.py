from django.http import HttpResponse
from django.urls import path


def ok(request):  # noqa: ANN001, ANN201 - the smallest view there is
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", ok), path("ok", ok)]
