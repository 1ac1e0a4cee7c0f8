"""Report jobs run here; the sweeper (beat) requeues jobs whose worker went away."""

from __future__ import annotations

from celery import shared_task

from reports import jobs
from tenancy.models import Cooperative


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_job_run(cooperative_id: int, job_id: int) -> str:
    # No TenantTask scope: the service claims the job and writes it in scopes of its own, so
    # the claim is committed (and visible) before the long read starts.
    job = jobs.report_job_run(cooperative=Cooperative.objects.get(pk=cooperative_id), job_id=job_id)
    return job.status if job else "taken"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_jobs_sweep() -> int:
    return jobs.report_jobs_sweep()
