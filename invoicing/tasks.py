"""Invoice e-mails: queued with the issue (a row in the same transaction), rendered and handed
to the outbox by a worker after commit. The periodic task picks up any delivery whose task was
lost (broker down, worker killed), so an issued invoice is always sent — and only once."""

from __future__ import annotations

from celery import shared_task

from invoicing import delivery
from invoicing.models import InvoiceDelivery
from tenancy.tasks import TenantTask, each_active_cooperative, enqueue_on_commit

DELIVERY_BATCH = 50  # invoices rendered and handed to the outbox per task
# A mail server that refuses for a moment is tried again; each delivery is sent once.
DELIVERY_TASK = {
    "base": TenantTask,
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "max_retries": 5,
}


def enqueue_invoice_delivery(*, invoice, requested_by, to: str = "") -> InvoiceDelivery:
    queued = delivery.delivery_create(invoice=invoice, requested_by=requested_by, to=to)
    enqueue_on_commit(invoice_deliver, invoice.cooperative_id, queued.pk)
    return queued


def enqueue_invoice_deliveries(*, invoices, requested_by) -> None:
    """A batch of issued invoices: their deliveries written at once, a task per 50."""
    if not invoices:
        return
    queued = delivery.deliveries_create(invoices=invoices, requested_by=requested_by)
    cooperative_id = invoices[0].cooperative_id
    if len(queued) == 1:
        enqueue_on_commit(invoice_deliver, cooperative_id, queued[0].pk)
        return
    for start in range(0, len(queued), DELIVERY_BATCH):
        ids = [d.pk for d in queued[start : start + DELIVERY_BATCH]]
        enqueue_on_commit(invoices_deliver, cooperative_id, ids)


@shared_task(**DELIVERY_TASK)
def invoice_deliver(self, cooperative_id: int, delivery_id: int) -> str:
    done = delivery.delivery_send(delivery_id=delivery_id)
    return "sent" if done else "skipped"


@shared_task(**DELIVERY_TASK)
def invoices_deliver(self, cooperative_id: int, delivery_ids: list[int]) -> int:
    """The deliveries of a batch issued together; each is sent once (safe to run twice)."""
    return sum(1 for delivery_id in delivery_ids if delivery.delivery_send(delivery_id=delivery_id))


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def invoice_deliveries_retry(self, cooperative_id: int) -> int:
    return delivery.deliveries_send_stuck()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def invoice_deliveries_retry_all() -> int:
    """Every 5 minutes (beat): one task per active cooperative."""
    return each_active_cooperative(invoice_deliveries_retry)
