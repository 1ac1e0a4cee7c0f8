"""Sending an issued invoice to the client: the ZUGFeRD PDF (the human-readable invoice with
its XML inside) and, for public clients, the XRechnung XML that their portals read."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.notify import queue_notice_with_files
from invoicing import documents
from invoicing.models import Invoice, InvoiceDelivery, InvoiceDocument

STUCK_AFTER = timedelta(minutes=5)
logger = logging.getLogger(__name__)


def delivery_create(*, invoice: Invoice, requested_by, to: str = "") -> InvoiceDelivery:
    if not invoice.is_issued:
        raise ApplicationError(_("Only issued invoices can be sent."), code="not_issued")
    address = (to or invoice.buyer.get("email") or invoice.client.invoice_email).strip()
    return InvoiceDelivery.objects.create(
        cooperative_id=invoice.cooperative_id,
        invoice=invoice,
        to=address,
        requested_by=requested_by,
    )


def deliveries_create(*, invoices: list[Invoice], requested_by) -> list[InvoiceDelivery]:
    """The first delivery of each of a batch of just-issued invoices, to the client's address."""
    return InvoiceDelivery.objects.bulk_create(
        [
            InvoiceDelivery(
                cooperative_id=invoice.cooperative_id,
                invoice=invoice,
                to=(invoice.buyer.get("email") or invoice.client.invoice_email).strip(),
                requested_by=requested_by,
            )
            for invoice in invoices
        ]
    )


def attachments_for(invoice: Invoice) -> list[tuple[str, bytes, str]]:
    formats = [InvoiceDocument.Format.ZUGFERD]
    if invoice.buyer.get("kind") == "public":
        formats.append(InvoiceDocument.Format.XRECHNUNG_CII)
    result = []
    for fmt in formats:
        document = documents.invoice_document(invoice=invoice, fmt=fmt)
        result.append(
            (
                documents.filename(invoice, fmt),
                bytes(document.content),
                documents.CONTENT_TYPES[fmt],
            )
        )
    return result


def delivery_send(*, delivery_id: int) -> bool:
    """Render (or reuse) the documents and queue the e-mail; a second run finds the e-mail
    already queued and does nothing."""
    with transaction.atomic():
        queued = (
            InvoiceDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("invoice__client", "invoice__cooperative", "invoice__corrects")
            .filter(pk=delivery_id, email__isnull=True)
            .first()
        )
        if queued is None or queued.attempts >= InvoiceDelivery.MAX_ATTEMPTS:
            return False
        invoice = queued.invoice
        language = invoice.language or "de"
        with translation.override(language):
            kind = invoice.get_kind_display()
            subject = _("%(kind)s %(number)s from %(seller)s") % {
                "kind": kind,
                "number": invoice.number_text,
                "seller": invoice.seller["name"],
            }
            paragraphs = [
                _("Dear Sir or Madam,"),
                _("please find attached our %(kind)s %(number)s over %(gross)s €.")
                % {"kind": kind, "number": invoice.number_text, "gross": invoice.gross_total},
                documents.payment_terms_text(invoice),
                _("The PDF contains the e-invoice data (ZUGFeRD/Factur-X)."),
            ]
        queued.attempts += 1
        try:
            with transaction.atomic():
                attachments = attachments_for(invoice)
        except ApplicationError as exc:  # an invalid e-invoice is not sent; staff see why
            queued.failed_reason = exc.message
            queued.save(update_fields=["attempts", "failed_reason"])
            logger.error("invoice %s not sent: %s", invoice.number_text, exc.message)
            return False
        queued.email = queue_notice_with_files(
            to=queued.to,
            language=language,
            cooperative=invoice.cooperative,
            subject=subject,
            paragraphs=paragraphs,
            attachments=attachments,
            reply_to=invoice.seller.get("contact_email", ""),
        )
        queued.failed_reason = ""
        queued.save(update_fields=["email", "attempts", "failed_reason"])
    return True


def deliveries_send_stuck() -> int:
    cutoff = timezone.now() - STUCK_AFTER
    ids = list(
        InvoiceDelivery.objects.filter(
            email__isnull=True,
            created_at__lt=cutoff,
            attempts__lt=InvoiceDelivery.MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:200]
    )
    return sum(1 for delivery_id in ids if delivery_send(delivery_id=delivery_id))


def delivery_resend(*, invoice: Invoice, actor, to: str = "") -> InvoiceDelivery:
    """Send again (the client lost it, or to another address): a new delivery record."""
    from invoicing.tasks import enqueue_invoice_delivery

    to = (to or "").strip()
    if to:
        try:
            validate_email(to)
        except ValidationError as exc:
            message = _("Enter a valid e-mail address.")
            raise ApplicationError(message, code="invalid_email", extra={"to": [message]}) from exc
    with transaction.atomic():
        return enqueue_invoice_delivery(invoice=invoice, requested_by=actor, to=to)
