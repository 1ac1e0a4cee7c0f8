"""The month's payroll draft per cooperative (beat, daily). Safe to run twice and at once: one
run per (cooperative, month), each member once per run."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from payroll import services
from tenancy.models import Cooperative
from tenancy.tasks import each_active_cooperative


@shared_task(acks_late=True, reject_on_worker_lost=True)
def payroll_run_due(cooperative_id: int) -> str:
    # No TenantTask scope around the whole task: the service scopes and commits each chunk, so
    # a killed worker's redelivered task resumes where the last chunk ended.
    cooperative = Cooperative.objects.get(pk=cooperative_id)
    result = services.payroll_run_due(cooperative=cooperative, today=timezone.localdate())
    return result.line() if result else "not yet"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def payroll_run_due_all() -> int:
    return each_active_cooperative(payroll_run_due)
