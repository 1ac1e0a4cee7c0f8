"""Whose webhooks a person sees: a member their own, staff the cooperative's (those without a
member). Anything else — another member's, another cooperative's — is Http404 like a missing one."""

from __future__ import annotations

from django.http import Http404

from core.policies import MEMBER, STAFF
from members import access as member_access
from webhooks.models import WebhookDelivery, WebhookEndpoint


def owner_of(*, tenancy, user):
    """The member whose endpoints these are, or None for staff (the cooperative's)."""
    if tenancy.has_any(STAFF):
        return None
    if tenancy.has_any(MEMBER):
        return member_access.own_member(user=user)
    raise Http404


def endpoints(*, tenancy, user):
    owner = owner_of(tenancy=tenancy, user=user)
    if owner is None:
        return WebhookEndpoint.objects.filter(member__isnull=True)
    return WebhookEndpoint.objects.filter(member=owner)


def endpoint_get(*, tenancy, user, pk: int) -> WebhookEndpoint:
    endpoint = endpoints(tenancy=tenancy, user=user).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def deliveries(*, endpoint: WebhookEndpoint):
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at")


def delivery_get(*, endpoint: WebhookEndpoint, pk: int) -> WebhookDelivery:
    delivery = deliveries(endpoint=endpoint).filter(pk=pk).first()
    if delivery is None:
        raise Http404
    return delivery
