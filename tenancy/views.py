"""Portal pages of the tenancy app: cooperative switch, language, API tokens, accountant home."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError
from core.policies import ACCOUNTANT, AUTHENTICATED, PUBLIC, STAFF, role_policy
from tenancy import context as ctx
from tenancy import services
from tenancy.forms import ApiTokenCreateForm, LanguageForm
from tenancy.models import ApiToken


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@require_POST
@role_policy(AUTHENTICATED)
def cooperative_switch(request):
    wanted = request.POST.get("cooperative", "")
    cooperative = ctx.find_cooperative(request.user, wanted, list(request.tenancy.cooperatives))
    if cooperative is None:
        raise Http404
    request.session[ctx.SESSION_KEY] = cooperative.pk
    messages.success(request, _("You are now working in %(name)s.") % {"name": cooperative})
    return redirect("portal:dashboard")


@require_POST
@role_policy(PUBLIC)
def language_set(request):
    form = LanguageForm(request.POST)
    response = HttpResponseRedirect(_safe_next(request, "/"))
    if not form.is_valid():
        messages.error(request, _("This language is not available."))
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_update_profile(user=request.user, language=language)
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


@role_policy(AUTHENTICATED)
def api_tokens(request):
    created_secret = None
    if request.method == "POST":
        form = ApiTokenCreateForm(request.POST)
        if form.is_valid():
            try:
                _token, created_secret = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    valid_days=form.cleaned_data["valid_days"],
                    access=form.cleaned_data["access"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                form = ApiTokenCreateForm()
    else:
        form = ApiTokenCreateForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "tenancy/api_tokens.html",
        {"form": form, "tokens": tokens, "created_secret": created_secret},
    )


@require_POST
@role_policy(AUTHENTICATED)
def api_token_revoke(request, pk: int):
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404
    services.api_token_revoke(token=token)
    messages.success(request, _("The token has been revoked."))
    return redirect("portal:api_tokens")


@role_policy(ACCOUNTANT, STAFF)
def accountant_home(request):
    return render(
        request, "tenancy/accountant_home.html", {"cooperative": request.tenancy.cooperative}
    )


@require_GET
@role_policy(PUBLIC)
def healthz(request):
    """Liveness and database reachability, for load balancers and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@role_policy(AUTHENTICATED)
def cooperative_logo(request):
    """The active cooperative's logo (media files are not public)."""
    cooperative = request.tenancy.cooperative
    if cooperative is None or not cooperative.logo:
        raise Http404
    response = FileResponse(cooperative.logo.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
