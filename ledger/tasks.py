from __future__ import annotations

from celery import shared_task

from ledger import services
from tenancy.models import Cooperative
from tenancy.tasks import TenantTask, each_active_cooperative


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def share_payments_post(self, cooperative_id: int) -> int:
    return services.share_payments_post_pending(
        cooperative=Cooperative.objects.get(pk=cooperative_id)
    )


@shared_task(acks_late=True, reject_on_worker_lost=True)
def share_payments_post_all() -> int:
    """Every few minutes (beat): post share payments recorded since the last run."""
    return each_active_cooperative(share_payments_post)


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def fees_monthly_floor(self, cooperative_id: int) -> int:
    from datetime import timedelta

    from django.utils import timezone

    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    return services.fees_post_monthly_floors(
        cooperative=Cooperative.objects.get(pk=cooperative_id), month=last_month
    )


@shared_task(acks_late=True, reject_on_worker_lost=True)
def fees_monthly_floor_all() -> int:
    """Daily (beat): top up last month's fees to the monthly minimum; once per member and month."""
    return each_active_cooperative(fees_monthly_floor)
