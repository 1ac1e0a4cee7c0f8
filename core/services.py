"""Outbox services: queue an e-mail in the caller's transaction, send it after commit."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from core.models import OutboundAttachment, OutboundEmail
from core.queue import enqueue_on_commit


def email_enqueue(
    *,
    from_email: str,
    to: list[str],
    subject: str,
    body: str,
    html_body: str = "",
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    reply_to: list[str] | None = None,
    headers: dict | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> OutboundEmail:
    from core import tasks

    email = OutboundEmail.objects.create(
        from_email=from_email,
        to=to,
        cc=cc or [],
        bcc=bcc or [],
        reply_to=reply_to or [],
        subject=subject,
        body=body,
        html_body=html_body,
        headers=headers or {},
    )
    OutboundAttachment.objects.bulk_create(
        OutboundAttachment(email=email, filename=name, content=content, mimetype=mimetype)
        for name, content, mimetype in attachments or []
    )
    # A broker outage must not fail the action; email_outbox_flush picks the mail up.
    enqueue_on_commit(tasks.email_send, email.pk)
    return email


def email_send(*, email_id: int) -> OutboundEmail | None:
    """Send one queued e-mail unless another worker already did (safe to run twice)."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return None
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body,
            from_email=email.from_email,
            to=email.to,
            cc=email.cc,
            bcc=email.bcc,
            reply_to=email.reply_to,
            headers=email.headers,
        )
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        for attachment in email.attachments.all():
            message.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
        email.attempts += 1
        try:
            # Holding the row lock while the mail server answers is what keeps a second worker
            # from sending the same message; the lock is on this one row only.
            get_connection(settings.SMARTCOOP_EMAIL_DELIVERY_BACKEND).send_messages([message])
        except Exception as exc:  # any transport error: keep the mail, count the attempt
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= OutboundEmail.MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            return email
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return email


def email_outbox_pending_ids(*, limit: int = 500) -> list[int]:
    return list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
