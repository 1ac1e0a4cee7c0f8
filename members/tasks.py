"""Periodic membership work: fan out per cooperative, each run in its own scope, idempotent."""

from __future__ import annotations

from celery import shared_task

from members import services
from tenancy.tasks import TenantTask, each_active_cooperative


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def members_close_departures(self, cooperative_id: int) -> int:
    return services.members_close_departures()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def members_close_departures_all() -> int:
    """Hourly (beat): one task per active cooperative."""
    return each_active_cooperative(members_close_departures)


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def permits_warn_expiring(self, cooperative_id: int) -> int:
    return services.permits_warn_expiring()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def permits_warn_expiring_all() -> int:
    """Daily (beat): warn about permits expiring soon; once per permit and expiry date."""
    return each_active_cooperative(permits_warn_expiring)


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def applications_anonymise_rejected(self, cooperative_id: int) -> int:
    return services.applications_anonymise_rejected()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def applications_anonymise_rejected_all() -> int:
    """Daily (beat): anonymise rejected applications past the retention period."""
    return each_active_cooperative(applications_anonymise_rejected)
