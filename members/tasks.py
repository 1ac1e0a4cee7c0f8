from __future__ import annotations

from celery import shared_task

from members import services
from tenancy.models import Cooperative
from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def members_close_departures(self, cooperative_id: int) -> int:
    return services.members_close_departures()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def members_close_departures_all() -> int:
    """Hourly (beat): one task per active cooperative, each in its own scope."""
    ids = list(Cooperative.objects.filter(is_active=True).values_list("pk", flat=True))
    for cooperative_id in ids:
        members_close_departures.delay(cooperative_id)
    return len(ids)
