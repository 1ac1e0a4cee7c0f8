"""Report jobs: asked for on a page, written by a worker, downloaded when ready.

The report is read inside one tenant scope (one transaction: a consistent picture of the books,
however long it takes) and written to a file under the private root. Claims, attempts, progress
and the sweeper are the background jobs' own (tenancy/jobs.py)."""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.queue import enqueue_on_commit
from ledger.models import Entry, Transaction
from reports import datev_export, services, tables, writers
from reports.models import ReportJob
from tenancy.jobs import (
    job_claim,
    job_finish,
    jobs_sweep,
    progress_live,
    progress_report,
)
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope

logger = logging.getLogger(__name__)

KEEP = timedelta(days=7)
FORMATS = {
    **{report: ("csv", "xlsx", "pdf") for report in tables.REPORTS},
    "datev": ("zip",),
}


def progress_of(job: ReportJob) -> tuple[int, int]:
    """(lines written, lines expected) as the worker last reported them."""
    return progress_live(job) or (job.rows_done, job.rows_total)


def file_path(job: ReportJob) -> Path:
    folder = Path(settings.SMARTCOOP_PRIVATE_ROOT) / "reports" / str(job.cooperative_id)
    return folder / f"{job.pk}.{job.format}"


def download_name(job: ReportJob) -> str:
    period = "_".join(str(v).replace("-", "") for v in job.params.values())
    return f"{job.report}_{period}.{job.format}"


def _parse_params(report: str, params: dict) -> dict:
    keys = ("date_from", "date_to") if report in tables.PERIOD_REPORTS | {"datev"} else ("as_of",)
    try:
        days = {key: date.fromisoformat(str(params[key])) for key in keys}
    except (KeyError, ValueError) as exc:
        raise ApplicationError(_("Give the dates as YYYY-MM-DD."), code="report_dates") from exc
    if "date_from" in days and days["date_from"] > days["date_to"]:
        raise ApplicationError(_("The period ends before it starts."), code="period_order")
    return {key: value.isoformat() for key, value in days.items()}


def report_job_request(
    *,
    cooperative: Cooperative,
    user: User,
    report: str,
    format: str,
    params: dict,
    language: str | None = None,
) -> ReportJob:
    if report not in FORMATS:
        raise ApplicationError(_("There is no such report."), code="report_unknown")
    if format not in FORMATS[report]:
        raise ApplicationError(
            _("This report is not available as %(format)s.") % {"format": format.upper()},
            code="report_format",
        )
    job = ReportJob.objects.create(
        cooperative=cooperative,
        report=report,
        format=format,
        params=_parse_params(report, params),
        requested_by=user,
        language=language or user.language or settings.LANGUAGE_CODE,
    )
    _enqueue(job)
    return job


def _enqueue(job: ReportJob) -> None:
    from reports import tasks

    # A broker outage must not fail the request; the sweeper picks the job up.
    enqueue_on_commit(tasks.report_job_run, job.cooperative_id, job.pk)


@contextmanager
def _snapshot():
    """One picture of the books for the whole report (rows and checks alike): REPEATABLE READ
    on PostgreSQL, where each statement would otherwise see the latest commits."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def report_job_run(*, cooperative: Cooperative, job_id: int) -> ReportJob | None:
    job = job_claim(ReportJob, cooperative=cooperative, job_id=job_id)
    if job is None:
        return None
    target = file_path(job)
    # Each claim writes its own part file: a worker taken for dead cannot spoil the new one's.
    partial_file = target.with_suffix(f".{job.attempt}.part")
    state = {"total": 0}

    def progress(done: int) -> None:
        progress_report(job, done=done, total=state["total"])

    try:
        with translation.override(job.language):
            target.parent.mkdir(parents=True, exist_ok=True)
            if job.report == "datev":
                with tenant_scope(cooperative):  # committed before the long read
                    datev_export.debtors_assign(cooperative=cooperative)
            with _snapshot(), tenant_scope(cooperative):
                if job.report == "datev":
                    rows, checks = _write_datev(job, cooperative, partial_file, progress, state)
                else:
                    table = tables.build(job.report, job.params)
                    state["total"] = table.total
                    progress(0)
                    writer = {
                        "csv": writers.write_csv,
                        "xlsx": writers.write_xlsx,
                        "pdf": partial(writers.write_pdf, cooperative=cooperative),
                    }[job.format]
                    rows = writer(table, partial_file, progress)
                    checks = [
                        {
                            "label": c.label,
                            "report": str(c.report),
                            "ledger": str(c.ledger),
                            "ok": c.ok,
                        }
                        for c in table.checks
                    ]
        os.replace(partial_file, target)
    except ApplicationError as exc:
        partial_file.unlink(missing_ok=True)
        return _finish(cooperative, job, status=ReportJob.Status.FAILED, error=exc.message)
    except Exception:
        partial_file.unlink(missing_ok=True)
        logger.exception("report job %s failed", job.pk)
        with translation.override(job.language):
            error = str(ReportJob.GIVEN_UP)
        return _finish(cooperative, job, status=ReportJob.Status.FAILED, error=error)
    return _finish(
        cooperative,
        job,
        status=ReportJob.Status.DONE,
        rows=rows,
        total=max(state["total"], rows),
        checks=checks,
        size=target.stat().st_size,
    )


def _finish(
    cooperative, job: ReportJob, *, status, error="", rows=0, total=0, checks=None, size=0
) -> ReportJob | None:
    return job_finish(
        job,
        cooperative=cooperative,
        status=status,
        error=error,
        rows_done=rows,
        rows_total=total,
        checks=checks or [],
        size=size,
        file_name=download_name(job) if status == ReportJob.Status.DONE else "",
    )


def _write_datev(job, cooperative, path: Path, progress, state) -> tuple[int, list]:
    start = date.fromisoformat(job.params["date_from"])
    end = date.fromisoformat(job.params["date_to"])
    period = {"booking_date__range": (start, end)}
    # Bookings ≈ entries less one per transaction: enough for a progress bar.
    state["total"] = max(
        Entry.objects.filter(**{f"transaction__{k}": v for k, v in period.items()}).count()
        - Transaction.objects.filter(**period).count(),
        0,
    )
    progress(0)
    with tempfile.TemporaryDirectory(prefix="datev-") as directory:
        package = services.datev_package_write(
            cooperative=cooperative,
            date_from=start,
            date_to=end,
            exported_by=(job.requested_by.full_name or "")[:25],
            directory=Path(directory),
            progress=progress,
        )
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in package.files:
                archive.write(Path(directory) / name, arcname=name)
    checks = [
        {
            "label": _("DATEV %(start)s – %(end)s: differences to the ledger")
            % {"start": s, "end": e},
            "report": str(r.differences),
            "ledger": "0",
            "ok": r.ok,
        }
        for s, e, r in package.reconciliations
    ]
    return package.bookings, checks


def report_jobs_sweep() -> int:
    """Beat: queue report jobs nobody is writing; remove those older than a week with their
    files (part files included)."""
    from reports import tasks

    def remove(job: ReportJob) -> None:
        for path in file_path(job).parent.glob(f"{job.pk}.*"):
            path.unlink(missing_ok=True)

    return jobs_sweep(ReportJob, task=tasks.report_job_run, keep=KEEP, remove=remove)
