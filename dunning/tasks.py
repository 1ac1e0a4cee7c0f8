"""The daily dunning run per cooperative (beat). Safe to run twice: reminders are unique per
(invoice, level)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from dunning import services
from tenancy.models import Cooperative
from tenancy.tasks import TenantTask, each_active_cooperative


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def dunning_run(self, cooperative_id: int) -> str:
    cooperative = Cooperative.objects.get(pk=cooperative_id)
    return services.dunning_run(cooperative=cooperative, on=timezone.localdate()).line()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def dunning_run_all() -> int:
    return each_active_cooperative(dunning_run)


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def reminders_send(self, cooperative_id: int, reminder_ids: list[int]) -> int:
    return services.reminders_send(reminder_ids=reminder_ids)


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def reminders_send_pending(self, cooperative_id: int) -> int:
    return services.reminders_send_pending()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def reminders_send_pending_all() -> int:
    """Every 5 minutes (beat): letters whose task was lost."""
    return each_active_cooperative(reminders_send_pending)
