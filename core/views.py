"""Error pages: JSON in the API's error format under /api/, translated HTML elsewhere."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.errors import error_payload
from core.policies import PUBLIC, role_policy


def _respond(request, status: int, code: str, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse(error_payload(code, message), status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _respond(request, 400, "bad_request", _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _respond(request, 403, "permission_denied", _("You may not open this page."))


def page_not_found(request, exception=None):
    return _respond(request, 404, "not_found", _("This page does not exist."))


def server_error(request):
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return database_unavailable(request)
    return _respond(request, 500, "server_error", _("Something went wrong on our side."))


def database_unavailable(request):
    """PostgreSQL restarting or failing over: the request's transaction was rolled back, so a
    retry is safe. The page touches neither the database nor the session (both may be gone);
    the next request opens a fresh connection."""
    message = _(
        "The database is not reachable for a moment (for example during maintenance). "
        "Nothing from this request was saved; please try again in a few seconds."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse(error_payload("service_unavailable", message), status=503)
    else:
        # No request context: its processors would ask the database for the user again.
        language = get_language()
        page = render_to_string(
            "unavailable.html",
            {"message": message, "language": language, "rtl": get_language_bidi()},
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = "5"
    return response


_BARE_ROWS = [
    {
        "id": n,
        "number": f"RE-2026-{n:05d}",
        "status": "issued",
        "client": "Bench Client GmbH",
        "issue_date": "2026-11-20",
        "due_date": "2026-12-04",
        "net_total": "3637.50",
        "vat_total": "637.31",
        "gross_total": "4274.81",
    }
    for n in range(1, 21)
]


@require_GET
@role_policy(PUBLIC)
def bench_bare(request):
    """The floor of `bench api`: a plain Django view with 20 invoice-like rows, routed only
    when SMARTCOOP_BENCH_VIEWS is on."""
    return JsonResponse({"count": 20, "results": _BARE_ROWS})
