"""Webhook deliveries go out here: right after the event's transaction commits, and every
minute (beat) for retries that are due and anything a lost task left behind."""

from __future__ import annotations

from celery import shared_task

from tenancy.models import Cooperative
from tenancy.tasks import each_active_cooperative
from webhooks import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliveries_send(cooperative_id: int) -> int:
    # No TenantTask scope: the service claims and reports in short scopes of its own, and the
    # HTTP calls happen outside any transaction.
    return services.deliveries_send(cooperative=Cooperative.objects.get(pk=cooperative_id))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliveries_send_all() -> int:
    return each_active_cooperative(deliveries_send)
