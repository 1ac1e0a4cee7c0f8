"""Report jobs: asked for on a page, written by a worker, downloaded when ready.

The report is read inside one tenant scope (one transaction: a consistent picture of the books,
however long it takes) and written to a file under the private root; progress and a heartbeat
go through the cache, which web and workers share. A job is claimed under a row lock, so two
deliveries of the same task write it once; a worker killed half-way leaves a job whose heartbeat
stops, and the sweeper queues it again."""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from ledger.models import Entry, Transaction
from reports import services, tables, writers
from reports.models import ReportJob
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope

logger = logging.getLogger(__name__)

STALE = timedelta(minutes=10)  # no progress for this long: the worker is gone
KEEP = timedelta(days=7)
FORMATS = {
    **{report: ("csv", "xlsx", "pdf") for report in tables.REPORTS},
    "datev": ("zip",),
}
PROGRESS_TTL = 24 * 3600


def _progress_key(job_id: int) -> str:
    return f"report-job:{job_id}"


def progress_of(job: ReportJob) -> tuple[int, int]:
    """(lines written, lines expected) as the worker last reported them."""
    if job.status == ReportJob.Status.RUNNING:
        live = cache.get(_progress_key(job.pk))
        if live:
            return live["done"], live["total"]
    return job.rows_done, job.rows_total


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
    *, cooperative: Cooperative, user: User, report: str, format: str, params: dict
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
    )
    _enqueue(job)
    return job


def _enqueue(job: ReportJob) -> None:
    from reports import tasks

    # robust: a broker outage must not fail the request; the sweeper picks the job up.
    transaction.on_commit(
        partial(tasks.report_job_run.delay, job.cooperative_id, job.pk), robust=True
    )


def _claim(cooperative: Cooperative, job_id: int) -> ReportJob | None:
    with tenant_scope(cooperative):
        job = ReportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (ReportJob.Status.DONE, ReportJob.Status.FAILED):
            return None
        now = timezone.now()
        live = cache.get(_progress_key(job.pk)) or {}
        beat = live.get("at") or job.heartbeat_at
        if job.status == ReportJob.Status.RUNNING and beat and now - beat < STALE:
            return None  # another worker is writing it
        job.status = ReportJob.Status.RUNNING
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["status", "started_at", "heartbeat_at"])
        return job


def report_job_run(*, cooperative: Cooperative, job_id: int) -> ReportJob | None:
    job = _claim(cooperative, job_id)
    if job is None:
        return None
    target = file_path(job)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial_file = target.with_suffix(target.suffix + ".part")
    state = {"total": 0}

    def progress(done: int) -> None:
        cache.set(
            _progress_key(job.pk),
            {"done": done, "total": state["total"], "at": timezone.now()},
            PROGRESS_TTL,
        )

    try:
        with tenant_scope(cooperative):
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
                    {"label": c.label, "report": str(c.report), "ledger": str(c.ledger), "ok": c.ok}
                    for c in table.checks
                ]
        os.replace(partial_file, target)
    except ApplicationError as exc:
        partial_file.unlink(missing_ok=True)
        return _finish(cooperative, job, status=ReportJob.Status.FAILED, error=exc.message)
    except Exception:
        partial_file.unlink(missing_ok=True)
        logger.exception("report job %s failed", job.pk)
        return _finish(
            cooperative,
            job,
            status=ReportJob.Status.FAILED,
            error=_("The report could not be written; the operators have been told."),
        )
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
) -> ReportJob:
    with tenant_scope(cooperative):
        job.status = status
        job.error = error[:500]
        job.rows_done, job.rows_total = rows, total
        job.checks = checks or []
        job.size = size
        job.file_name = download_name(job) if status == ReportJob.Status.DONE else ""
        job.finished_at = job.heartbeat_at = timezone.now()
        job.save()
    cache.delete(_progress_key(job.pk))
    return job


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
    """Beat: queue jobs nobody is writing (lost on the broker, or their worker died) and remove
    what is older than a week. Returns how many were queued again."""
    from reports import tasks

    now = timezone.now()
    queued = 0
    for cooperative in Cooperative.objects.filter(is_active=True):
        with tenant_scope(cooperative):
            waiting = ReportJob.objects.filter(
                status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING],
                created_at__lt=now - timedelta(minutes=2),
            ).values_list("pk", "status", "heartbeat_at")
            for pk, status, heartbeat in waiting:
                live = (cache.get(_progress_key(pk)) or {}).get("at") or heartbeat
                if status == ReportJob.Status.RUNNING and live and now - live < STALE:
                    continue
                tasks.report_job_run.delay(cooperative.pk, pk)
                queued += 1
            for job in ReportJob.objects.filter(created_at__lt=now - KEEP):
                file_path(job).unlink(missing_ok=True)
                job.delete()
    return queued
