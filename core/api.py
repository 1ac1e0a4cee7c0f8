"""One error format for the whole API:

    {"error": {"code": "not_found", "message": "Not found.", "details": {...}}}

`details` holds field errors for validation failures ({"field": ["message", ...]}).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import error_payload
from core.exceptions import ApplicationError


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        return _first_message(next(iter(detail.values())))
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(
            error_payload(exc.code, exc.message, exc.extra or None),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        message = _("The request contains invalid data.")
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_payload("invalid", message, details)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if not isinstance(code, str):
            code = "error"
        response.data = error_payload(code, _first_message(getattr(exc, "detail", exc)))
    return response


class Pagination(LimitOffsetPagination):
    """Limit/offset pages of at most 500 rows; an offset past any real table is treated as the
    end, not sent to the database (which refuses numbers beyond 64 bits)."""

    max_limit = 500
    max_offset = 2**53

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), self.max_offset)
