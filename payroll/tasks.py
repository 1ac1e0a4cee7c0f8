"""The month's payroll draft per cooperative (beat, daily) and the payslips of an approved run.
Safe to run twice and at once: one run per (cooperative, month), each member once per run, each
payslip once per line."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from payroll import documents, services
from payroll.models import PayrollRun
from tenancy.models import Cooperative
from tenancy.tasks import TenantTask, each_active_cooperative, enqueue_on_commit


@shared_task(acks_late=True, reject_on_worker_lost=True)
def payroll_run_due(cooperative_id: int) -> str:
    # No TenantTask scope around the whole task: the service scopes and commits each chunk, so
    # a killed worker's redelivered task resumes where the last chunk ended.
    cooperative = Cooperative.objects.get(pk=cooperative_id)
    result = services.payroll_run_due(cooperative=cooperative, today=timezone.localdate())
    return result.line() if result else "not yet"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def payroll_run_compute(cooperative_id: int, month: str) -> str:
    """A month staff started from the payroll page; resumes where a dead worker stopped."""
    cooperative = Cooperative.objects.get(pk=cooperative_id)
    _run, summary = services.payroll_run_compute(
        cooperative=cooperative, month=date.fromisoformat(month)
    )
    return summary.line()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def payroll_run_due_all() -> int:
    return each_active_cooperative(payroll_run_due)


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def payslips_render(self, cooperative_id: int, run_id: int) -> int:
    """A batch of the run's payslips per task (one transaction each); while some are missing
    the task queues itself again, so 100k payslips never sit in one transaction."""
    run = PayrollRun.objects.get(pk=run_id)
    remaining = documents.payslips_render_missing(run=run)
    if remaining:
        enqueue_on_commit(payslips_render, cooperative_id, run_id)
    return remaining


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def payroll_runs_resume(self, cooperative_id: int) -> int:
    """A run still computing, or an approved run with payslips missing, gets its task again:
    the first was lost with the broker down, or its worker died and the message went with it.
    Both tasks are safe beside a live one (row lock per chunk, one payslip per line)."""
    runs = services.payroll_runs_unfinished()
    for run in runs:
        if run.status == PayrollRun.Status.COMPUTING:
            enqueue_on_commit(payroll_run_compute, cooperative_id, run.month.isoformat())
        else:
            enqueue_on_commit(payslips_render, cooperative_id, run.pk)
    return len(runs)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def payroll_runs_sweep() -> int:
    """Every 5 minutes (beat): one payroll_runs_resume per active cooperative."""
    return each_active_cooperative(payroll_runs_resume)
