"""Statement uploads are imported here; the sweeper (beat) queues uploads whose worker went away
and removes finished ones after a month."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from banking import services
from banking.models import StatementImport
from tenancy import jobs
from tenancy.models import Cooperative

KEEP = timedelta(days=31)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def statement_import_run(cooperative_id: int, job_id: int) -> str:
    # No TenantTask scope: the claim is committed (and shown) before the import starts.
    job = services.statement_import_run(
        cooperative=Cooperative.objects.get(pk=cooperative_id), job_id=job_id
    )
    return job.status if job else "taken"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def statement_imports_sweep() -> int:
    return jobs.jobs_sweep(StatementImport, task=statement_import_run, keep=KEEP)
