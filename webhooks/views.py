"""Webhook pages: a member's own webhooks, or staff's for the whole cooperative — register one
(its secret is shown once), see every delivery, send a given-up one again, delete."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError
from core.policies import MEMBER, STAFF, role_policy
from webhooks import access, services
from webhooks.forms import EndpointForm


@require_http_methods(["GET", "POST"])
@role_policy(MEMBER, STAFF)
def endpoints(request):
    owner = access.owner_of(tenancy=request.tenancy, user=request.user)
    form = EndpointForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _endpoint, secret = services.endpoint_create(
                cooperative=request.tenancy.cooperative,
                member=owner,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
            form = EndpointForm()
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    listed = access.endpoints(tenancy=request.tenancy, user=request.user)
    return render(
        request,
        "webhooks/endpoints.html",
        {"form": form, "endpoints": listed, "secret": secret, "for_cooperative": owner is None},
    )


@require_http_methods(["GET"])
@role_policy(MEMBER, STAFF)
def endpoint_detail(request, pk: int):
    endpoint = access.endpoint_get(tenancy=request.tenancy, user=request.user, pk=pk)
    deliveries = access.deliveries(endpoint=endpoint)[:100]
    return render(
        request, "webhooks/endpoint.html", {"endpoint": endpoint, "deliveries": deliveries}
    )


@require_POST
@role_policy(MEMBER, STAFF)
def endpoint_delete(request, pk: int):
    endpoint = access.endpoint_get(tenancy=request.tenancy, user=request.user, pk=pk)
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, _("The webhook has been deleted."))
    return redirect("portal:webhooks")


@require_POST
@role_policy(MEMBER, STAFF)
def delivery_retry(request, pk: int, delivery_pk: int):
    endpoint = access.endpoint_get(tenancy=request.tenancy, user=request.user, pk=pk)
    try:
        services.delivery_retry(delivery=access.delivery_get(endpoint=endpoint, pk=delivery_pk))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The delivery will be sent again."))
    return redirect("portal:webhook", pk=endpoint.pk)
