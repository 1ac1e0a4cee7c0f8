"""Daily guarantee advances per cooperative (beat); one advance per invoice, so safe twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from guarantee import services
from tenancy.models import Cooperative
from tenancy.tasks import TenantTask, each_active_cooperative


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def advances(self, cooperative_id: int) -> int:
    cooperative = Cooperative.objects.get(pk=cooperative_id)
    return services.advances_run(cooperative=cooperative, on=timezone.localdate())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def advances_all() -> int:
    return each_active_cooperative(advances)
