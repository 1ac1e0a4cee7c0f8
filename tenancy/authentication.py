"""Bearer tokens for the API: `Authorization: Bearer sc_<key id>_<secret>`."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from core.errors import error_payload
from tenancy.models import ApiToken

LAST_USED_RESOLUTION = timedelta(minutes=1)


def _unauthorized(code: str, message: str) -> JsonResponse:
    response = JsonResponse(error_payload(code, message), status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def authenticate_bearer(request: HttpRequest) -> JsonResponse | None:
    """Authenticate the request's bearer token; return an error response if it is not usable."""
    raw = request.headers.get("Authorization", "")[len("Bearer ") :].strip()
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != ApiToken.PREFIX:
        return _unauthorized("invalid_token", _("The API token is malformed."))
    token = ApiToken.objects.select_related("user").filter(key_id=parts[1]).first()
    if token is None or not token.matches(parts[2]) or not token.user.is_active:
        return _unauthorized("invalid_token", _("The API token is not valid."))
    if token.revoked_at is not None:
        return _unauthorized("token_revoked", _("The API token has been revoked."))
    if token.is_expired:
        return _unauthorized("token_expired", _("The API token has expired."))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    request.user = token.user
    request.smartcoop_api_token = token
    return None


class BearerTokenAuthentication(BaseAuthentication):
    """Hands DRF the person the middleware authenticated from the bearer token."""

    def authenticate(self, request):
        token = getattr(request._request, "smartcoop_api_token", None)
        if token is None:
            return None
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Personal API token (sc_…), created on the portal's API tokens page.",
        }
