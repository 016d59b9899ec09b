from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def page(request):  # noqa: ANN001, ANN201 - the smallest signed-in page there is
    return render(request, "page.html")


urlpatterns = [path("page", page)]
