"""Invoice e-mails: queued with the issue (a row in the same transaction), rendered and handed
to the outbox by a worker after commit. The periodic task picks up any delivery whose task was
lost (broker down, worker killed), so an issued invoice is always sent — and only once."""

from __future__ import annotations

from celery import shared_task

from invoicing import delivery
from invoicing.models import InvoiceDelivery
from tenancy.tasks import TenantTask, each_active_cooperative, enqueue_on_commit


def enqueue_invoice_delivery(*, invoice, requested_by, to: str = "") -> InvoiceDelivery:
    queued = delivery.delivery_create(invoice=invoice, requested_by=requested_by, to=to)
    enqueue_on_commit(invoice_deliver, invoice.cooperative_id, queued.pk)
    return queued


@shared_task(
    base=TenantTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def invoice_deliver(self, cooperative_id: int, delivery_id: int) -> str:
    done = delivery.delivery_send(delivery_id=delivery_id)
    return "sent" if done else "skipped"


@shared_task(base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def invoice_deliveries_retry(self, cooperative_id: int) -> int:
    return delivery.deliveries_send_stuck()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def invoice_deliveries_retry_all() -> int:
    """Every 5 minutes (beat): one task per active cooperative."""
    return each_active_cooperative(invoice_deliveries_retry)
