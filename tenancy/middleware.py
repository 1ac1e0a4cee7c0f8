"""Request middleware: authenticate API tokens, resolve the active cooperative, enter its scope."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import error_payload
from tenancy import context as ctx
from tenancy.authentication import authenticate_bearer
from tenancy.scope import request_scope

COOPERATIVE_HEADER = "HTTP_X_COOPERATIVE"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class TenantScopeMiddleware:
    """Every authenticated request runs inside the scope of one cooperative (or none).

    The scope opens the request's transaction, so row-level security sees the cooperative for
    every query of the view and its template, and nothing of it survives the request (R4).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request) and request.headers.get("Authorization", "").startswith("Bearer "):
            failure = authenticate_bearer(request)
            if failure is not None:
                return failure
        user = request.user
        if not user.is_authenticated:
            request.tenancy = ctx.ANONYMOUS
            return self.get_response(request)

        with request_scope(user.pk) as scope:
            cooperatives, roles = ctx.available_cooperatives(user)
            wanted = request.META.get(COOPERATIVE_HEADER) if _is_api(request) else None
            if wanted:
                cooperative = ctx.find_cooperative(user, wanted.strip(), cooperatives)
                if cooperative is None:
                    return JsonResponse(
                        error_payload(
                            "unknown_cooperative",
                            _("No cooperative with this name is available to you."),
                        ),
                        status=404,
                    )
            else:
                cooperative = self._from_session(request, user, cooperatives)
            request.tenancy = ctx.build_context(user, cooperative, cooperatives, roles)
            StaffIdleTimeoutMiddleware.mark_privileged(request, request.tenancy)
            if cooperative is not None:
                scope.select_cooperative(cooperative.pk)
            response = self.get_response(request)
            if response.status_code >= 400:
                # Django turns a view's exception into a response before it reaches us, so the
                # request transaction would commit: a failed request must leave nothing behind.
                transaction.set_rollback(True)
            return response

    @staticmethod
    def _from_session(request, user, cooperatives):
        chosen = request.session.get(ctx.SESSION_KEY)
        if chosen is not None:
            cooperative = ctx.find_cooperative(user, str(chosen), cooperatives)
            if cooperative is not None:
                return cooperative
        return cooperatives[0] if cooperatives else None


def activate_user_language(sender, request, user, **kwargs) -> None:
    """On login: the rest of the login request (its "signed in" message) speaks the person's
    language already, not the browser's."""
    language = getattr(user, "language", "")
    if language and request is not None:
        translation.activate(language)
        request.LANGUAGE_CODE = language


class UserLanguageMiddleware:
    """A logged-in person's chosen language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = getattr(request.user, "language", "") if request.user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class StaffIdleTimeoutMiddleware:
    """Staff, accountants and operators are logged out after a period without requests (R17).

    Runs before TenantScopeMiddleware, outside the request transaction, so the logout of an
    expired session is never rolled back with a failed request. Whether a session is privileged
    is remembered in the session itself by `mark_privileged()` (set on every request of a person
    who holds a staff or accountant role in any cooperative, or is an operator).
    """

    SESSION_KEY = "smartcoop_last_seen"
    PRIVILEGED_KEY = "smartcoop_privileged"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        uses_session = session is not None and request.user.is_authenticated
        if uses_session and session.get(self.PRIVILEGED_KEY):
            now = int(time.time())
            last_seen = session.get(self.SESSION_KEY)
            if last_seen is not None and now - last_seen > settings.SMARTCOOP_STAFF_IDLE_SECONDS:
                logout(request)
                if _is_api(request):
                    return JsonResponse(
                        error_payload("session_expired", _("Your session has expired.")),
                        status=401,
                    )
                messages.info(request, _("You were logged out after a period of inactivity."))
                return redirect(f"{reverse('account_login')}?next={request.path}")
            session[self.SESSION_KEY] = now
        return self.get_response(request)

    @classmethod
    def mark_privileged(cls, request: HttpRequest, tenancy: ctx.TenantContext) -> None:
        if getattr(request, "smartcoop_api_token", None) is not None:
            return  # token requests carry no session; tokens expire on their own
        if (
            tenancy.is_privileged_anywhere or request.user.is_superuser
        ) and not request.session.get(cls.PRIVILEGED_KEY):
            request.session[cls.PRIVILEGED_KEY] = True
            request.session[cls.SESSION_KEY] = int(time.time())


class RequireMfaMiddleware:
    """Staff and accountants set up two-factor authentication before the admin or accountant
    pages open to them (R17)."""

    PROTECTED_PREFIXES = ("/admin/", "/accountant/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenancy = getattr(request, "tenancy", ctx.ANONYMOUS)
        protected = request.path.startswith(self.PROTECTED_PREFIXES)
        if tenancy.needs_mfa and protected and not request.path.startswith("/admin/logout"):
            messages.warning(
                request, _("Set up two-factor authentication before you open the staff pages.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
