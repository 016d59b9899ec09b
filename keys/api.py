from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def endpoint(request):  # placeholder until the Query API lands
    return HttpResponse(status=501)
