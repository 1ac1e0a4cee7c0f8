from __future__ import annotations

from celery import shared_task

from core import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def email_send(email_id: int) -> str:
    """Send one queued mail; failures stay pending and email_outbox_flush retries them."""
    email = services.email_send(email_id=email_id)
    return "skipped" if email is None else email.status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def email_outbox_flush() -> int:
    """Retry whatever is still pending (broker or mail server was down)."""
    ids = services.email_outbox_pending_ids()
    for email_id in ids:
        services.email_send(email_id=email_id)
    return len(ids)
