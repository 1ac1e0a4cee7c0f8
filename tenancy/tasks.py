"""Celery base task for tenant work, and the platform's own periodic tasks.

A tenant task receives the cooperative id explicitly as its first argument and runs inside that
cooperative's scope (and transaction); the scope is reset in `finally`, so a worker process never
carries one cooperative into the next task (R4). Enqueue with `enqueue_on_commit()` so a task never
sees uncommitted rows or runs for a rolled-back action (R11).
"""

from __future__ import annotations

from celery import Task, shared_task

from core.queue import enqueue_on_commit  # noqa: F401 - the tasks modules import it from here
from tenancy import services
from tenancy.scope import tenant_scope


class TenantTask(Task):
    abstract = True
    acks_late = True

    def __call__(self, cooperative_id: int, *args, **kwargs):
        if not isinstance(cooperative_id, int) or isinstance(cooperative_id, bool):
            raise TypeError(f"{self.name} needs the cooperative id as its first argument")
        with tenant_scope(cooperative_id):
            return super().__call__(cooperative_id, *args, **kwargs)


def each_active_cooperative(task) -> int:
    """Fan a periodic job out: one tenant task per active cooperative (beat calls the `_all`
    task, each cooperative's work runs in its own scope)."""
    from tenancy.models import Cooperative

    ids = list(Cooperative.objects.filter(is_active=True).values_list("pk", flat=True))
    for cooperative_id in ids:
        task.delay(cooperative_id)
    return len(ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def api_tokens_purge_expired() -> int:
    return services.api_tokens_purge_expired()


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def idempotency_records_purge(self, cooperative_id: int) -> int:
    from core.idempotency import idempotency_records_purge as purge

    return purge()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def idempotency_records_purge_all() -> int:
    """Daily (beat): forget idempotency keys older than a day."""
    return each_active_cooperative(idempotency_records_purge)
