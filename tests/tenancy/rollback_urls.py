"""A URLconf for test_request_transaction: views that write and then fail."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path

from core.policies import AUTHENTICATED, role_policy
from tenancy.models import CooperativeSettings


def _write():
    CooperativeSettings.objects.update(support_email="changed@example.org")


@role_policy(AUTHENTICATED)
def write_then_deny(request):
    _write()
    raise PermissionDenied


@role_policy(AUTHENTICATED)
def write_then_succeed(request):
    _write()
    return HttpResponse("ok")


urlpatterns = [
    path("deny/", write_then_deny),
    path("ok/", write_then_succeed),
]
