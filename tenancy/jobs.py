"""Long work done by a worker while the person who asked for it may leave the page and come
back: report files, bank statement imports.

A job is a row (`BackgroundJob`) claimed under a row lock, so two deliveries of the same task do
the work once; each claim counts as an attempt, and a job whose worker dies three times is given
up with a message in the requester's language. Progress and a heartbeat go through the cache,
which web and workers share; a worker killed half-way leaves a job whose heartbeat stops, and
the sweeper (beat) queues it again. A worker's result counts only while the claim is still its
own (`job_finish`), so one taken for dead cannot overwrite its successor.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from tenancy.models import Cooperative, TenantModel
from tenancy.scope import tenant_scope

logger = logging.getLogger(__name__)

STALE = timedelta(minutes=10)  # no progress for this long: the worker is gone
MAX_ATTEMPTS = 3  # a job whose worker dies this often (memory, time limit) is given up
PROGRESS_TTL = 24 * 3600


class BackgroundJob(TenantModel):
    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    # Which claim of the job this is: a worker's result counts only if the claim is still its.
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    # What a job that was given up tells its requester.
    GIVEN_UP = _("The work could not be finished; the operators have been told.")

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="%(class)s_status_valid",
            ),
        ]
        # The sweeper's question: which jobs wait, and since when did their worker report.
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="%(class)s_pending")]

    @property
    def waiting(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


def _key(model: type[BackgroundJob], job_id: int) -> str:
    return f"job:{model._meta.label_lower}:{job_id}"


def progress_report(job: BackgroundJob, *, done: int, total: int) -> None:
    """The worker's progress, which is also its heartbeat."""
    cache.set(
        _key(type(job), job.pk), {"done": done, "total": total, "at": timezone.now()}, PROGRESS_TTL
    )


def progress_forget(job: BackgroundJob) -> None:
    cache.delete(_key(type(job), job.pk))


def progress_live(job: BackgroundJob) -> tuple[int, int] | None:
    """(done, total) as the worker last reported it, while the job runs."""
    if job.status != BackgroundJob.Status.RUNNING:
        return None
    live = cache.get(_key(type(job), job.pk))
    return (live["done"], live["total"]) if live else None


def _alive(model: type[BackgroundJob], job_id: int, heartbeat, now) -> bool:
    # The later of the row's heartbeat (set by each claim) and the worker's last report: a dead
    # worker's old report must not make its successor's fresh claim look stale.
    beats = [b for b in ((cache.get(_key(model, job_id)) or {}).get("at"), heartbeat) if b]
    return bool(beats) and now - max(beats) < STALE


def job_claim(
    model: type[BackgroundJob], *, cooperative: Cooperative, job_id: int
) -> BackgroundJob | None:
    """Take the job for this worker (committed at once, so the page shows it running), or None
    when it is finished, another living worker has it, or it was given up just now."""
    with tenant_scope(cooperative):
        job = model.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not job.waiting:
            return None
        now = timezone.now()
        if job.status == model.Status.RUNNING and _alive(model, job.pk, job.heartbeat_at, now):
            return None
        if job.attempt >= MAX_ATTEMPTS:
            with translation.override(job.language):
                job.error = str(job.GIVEN_UP)
            job.status, job.finished_at = model.Status.FAILED, now
            job.save(update_fields=["status", "error", "finished_at"])
            logger.error("%s %s given up after %s attempts", model.__name__, job.pk, job.attempt)
            return None
        job.status = model.Status.RUNNING
        job.attempt += 1
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["status", "attempt", "started_at", "heartbeat_at"])
        cache.delete(_key(model, job.pk))  # the last worker's progress is not this one's
        return job


def job_record(job: BackgroundJob, *, status: str, error: str = "", **values) -> bool:
    """Record the outcome in the caller's transaction if the claim is still this worker's.
    Work written in the same transaction is rolled back with it when it is not (raise)."""
    model = type(job)
    now = timezone.now()
    return bool(
        model.objects.filter(pk=job.pk, attempt=job.attempt, status=model.Status.RUNNING).update(
            status=status, error=error[:500], finished_at=now, heartbeat_at=now, **values
        )
    )


def job_finish(
    job: BackgroundJob, *, cooperative: Cooperative, status: str, error: str = "", **values
) -> BackgroundJob | None:
    """Record the outcome if the claim is still this worker's; None if another took over."""
    with tenant_scope(cooperative):
        if not job_record(job, status=status, error=error, **values):
            return None
        job.refresh_from_db()
    progress_forget(job)
    return job


def jobs_sweep(model: type[BackgroundJob], *, task, keep: timedelta, remove=None) -> int:
    """Beat: queue the jobs nobody works on (lost on the broker, or their worker died) and
    delete those older than `keep` (after `remove(job)` cleans up after them), in every
    cooperative. Returns how many were queued again."""
    now = timezone.now()
    queued = 0
    for cooperative in Cooperative.objects.all():
        with tenant_scope(cooperative):
            waiting = model.objects.filter(
                status__in=[model.Status.QUEUED, model.Status.RUNNING],
                created_at__lt=now - timedelta(minutes=2),
            ).values_list("pk", "status", "heartbeat_at")
            for pk, status, heartbeat in waiting if cooperative.is_active else []:
                if status == model.Status.RUNNING and _alive(model, pk, heartbeat, now):
                    continue
                task.delay(cooperative.pk, pk)
                queued += 1
            for job in model.objects.filter(created_at__lt=now - keep):
                if remove:
                    remove(job)
                job.delete()
    return queued
