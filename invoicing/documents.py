"""The documents of an issued invoice: the PDF for people, ZUGFeRD/Factur-X (the PDF/A-3 with
the CII XML inside), XRechnung as CII and as UBL.

Each document is rendered once and stored (InvoiceDocument, append-only): a later template or
library change never alters what the client received, and the XML stays the original that
GoBD asks us to keep.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.pdf import RESOURCE_PREFIX, render_pdf
from core.references import rf_format
from invoicing.einvoice.data import EInvoice, Line, Party, VatGroup
from invoicing.models import Invoice, InvoiceDocument, VatCategory

FORMATS = InvoiceDocument.Format
CONTENT_TYPES = {
    FORMATS.PDF: "application/pdf",
    FORMATS.ZUGFERD: "application/pdf",
    FORMATS.XRECHNUNG_CII: "application/xml",
    FORMATS.XRECHNUNG_UBL: "application/xml",
}
EXTENSIONS = {
    FORMATS.PDF: ".pdf",
    FORMATS.ZUGFERD: ".zugferd.pdf",
    FORMATS.XRECHNUNG_CII: ".xrechnung-cii.xml",
    FORMATS.XRECHNUNG_UBL: ".xrechnung-ubl.xml",
}


def filename(invoice: Invoice, fmt: str) -> str:
    return f"{invoice.number_text}{EXTENSIONS[fmt]}"


def vat_notes(invoice: Invoice) -> list[str]:
    """The notes § 14 (4) no. 8 and § 14a UStG require, in the document's language (German
    alongside for the legally fixed phrase of the reverse charge)."""
    categories = {group["category"] for group in invoice.vat_breakdown}
    notes = []
    if VatCategory.REVERSE_CHARGE in categories:
        notes.append(
            _("Reverse charge: the recipient is liable for the VAT.")
            + " / Steuerschuldnerschaft des Leistungsempfängers"
        )
    if VatCategory.NOT_TAXABLE in categories:
        notes.append(_("Service not taxable in Germany (place of supply abroad)."))
    if VatCategory.EXEMPT in categories:
        notes.append(_("Exempt from VAT: %(basis)s") % {"basis": invoice.vat_note})
    has_reduced = any(
        g["category"] == VatCategory.STANDARD and Decimal(g["rate"]) == 7
        for g in invoice.vat_breakdown
    )
    if has_reduced and invoice.vat_note:
        notes.append(_("Reduced rate: %(reason)s") % {"reason": invoice.vat_note})
    return notes


def _exemption_reason(invoice: Invoice, category: str) -> str:
    if category == VatCategory.REVERSE_CHARGE:
        return "Reverse charge - Steuerschuldnerschaft des Leistungsempfängers"
    if category == VatCategory.NOT_TAXABLE:
        return "Nicht im Inland steuerbare Leistung"
    if category == VatCategory.EXEMPT:
        return f"Steuerfrei: {invoice.vat_note}"
    return ""


def payment_terms_text(invoice: Invoice) -> str:
    if invoice.kind != Invoice.Kind.INVOICE:
        return _("The amount will be credited to you or set off against open invoices.")
    text = _("Payable without deduction by %(date)s to the account below, quoting %(ref)s.") % {
        "date": formats.date_format(invoice.due_date, "SHORT_DATE_FORMAT"),
        "ref": invoice.rf_reference,
    }
    if invoice.buyer.get("kind") == "consumer":
        # § 286 (3) BGB: a consumer is in default after 30 days only if the invoice says so.
        text += " " + _(
            "If you do not pay within 30 days of the due date and receipt of this invoice, "
            "you will be in default without a reminder (§ 286 (3) BGB)."
        )
    return text


def einvoice_data(invoice: Invoice) -> EInvoice:
    """The issued invoice as EN 16931 sees it; a correction's amounts turn positive (381)."""
    if not invoice.is_issued:
        raise ValueError("only issued invoices have e-invoices")
    sign = Decimal("-1") if invoice.kind != Invoice.Kind.INVOICE else Decimal("1")
    seller, buyer = invoice.seller, invoice.buyer
    with translation.override("de"):
        notes = tuple(vat_notes(invoice))
        terms = payment_terms_text(invoice)
    if invoice.reason:
        notes = (*notes, invoice.reason)
    if invoice.note:
        notes = (*notes, invoice.note)
    lines = tuple(
        Line(
            id=str(line.position),
            name=line.description,
            description=line.detail,
            quantity=line.quantity * sign,
            unit=line.unit,
            unit_price=line.unit_price,
            net=line.net_amount * sign,
            category=line.vat_category,
            rate=line.vat_rate,
        )
        for line in invoice.lines.all()
    )
    groups = tuple(
        VatGroup(
            category=g["category"],
            rate=Decimal(g["rate"]),
            taxable=Decimal(g["net"]) * sign,
            tax=Decimal(g["vat"]) * sign,
            exemption_reason=_exemption_reason(invoice, g["category"]),
        )
        for g in invoice.vat_breakdown
    )
    corrects = invoice.corrects
    return EInvoice(
        number=invoice.number_text,
        issue_date=invoice.issue_date,
        type_code=invoice.type_code,
        currency=invoice.currency,
        buyer_reference=invoice.buyer_reference or invoice.number_text,
        seller=Party(
            name=seller["name"],
            street=seller["street"],
            postal_code=seller["postal_code"],
            city=seller["city"],
            country=seller["country"],
            vat_id=seller["vat_id"],
            tax_number=seller["tax_number"],
            email=seller["contact_email"],
            contact_name=seller["contact_name"],
            contact_phone=seller["contact_phone"],
            contact_email=seller["contact_email"],
            register=seller["register"],
        ),
        buyer=Party(
            name=buyer["name"],
            street=buyer["street"],
            postal_code=buyer["postal_code"],
            city=buyer["city"],
            country=buyer["country"],
            vat_id=buyer["vat_id"]
            if VatCategory.NOT_TAXABLE not in {g.category for g in groups}
            else "",
            email=buyer["email"],
            contact_name=buyer.get("contact_person", ""),
        ),
        lines=lines,
        vat_groups=groups,
        net_total=invoice.net_total * sign,
        vat_total=invoice.vat_total * sign,
        gross_total=invoice.gross_total * sign,
        due_date=invoice.due_date,
        payment_terms=terms,
        # A correction asks the client for nothing: no account to pay into, no reference.
        payment_means_code="58" if sign > 0 else "1",
        iban=seller["iban"] if sign > 0 else "",
        bic=seller["bic"] if sign > 0 else "",
        account_name=seller["name"] if sign > 0 else "",
        remittance=invoice.rf_reference if sign > 0 else "",
        supply_date=invoice.supply_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        notes=notes,
        preceding_number=corrects.number_text if corrects else "",
        preceding_date=corrects.issue_date if corrects else None,
    )


def _logo(invoice: Invoice) -> dict[str, tuple[bytes, str]]:
    logo = invoice.cooperative.logo
    if not logo:
        return {}
    try:
        with logo.open("rb") as handle:
            body = handle.read()
    except OSError:
        return {}  # a missing logo file must not stop an invoice
    mimetype = mimetypes.guess_type(logo.name)[0] or "application/octet-stream"
    return {f"{RESOURCE_PREFIX}logo": (body, mimetype)}


def _epc_qr_png(invoice: Invoice) -> bytes:
    """EPC069-12 (GiroCode) credit transfer QR: a banking app fills in payee, IBAN, amount and
    the RF reference. A small PNG handed to the renderer, so rendering fetches nothing."""
    if invoice.kind != Invoice.Kind.INVOICE or invoice.gross_total <= 0:
        return b""
    from segno import helpers

    qr = helpers.make_epc_qr(
        name=invoice.seller["name"][:70],
        iban=invoice.seller["iban"],
        amount=invoice.gross_total,
        reference=invoice.rf_reference,
        bic=invoice.seller["bic"] or None,
    )
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=4, border=2)
    return buffer.getvalue()


def render_invoice_pdf(invoice: Invoice, *, variant: str | None = None) -> bytes:
    resources = _logo(invoice)
    has_logo = bool(resources)
    qr = _epc_qr_png(invoice)
    if qr:
        resources[f"{RESOURCE_PREFIX}qr"] = (qr, "image/png")
    with translation.override(invoice.language or "de"):
        context = {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "vat_groups": [
                {
                    **g,
                    "rate": Decimal(g["rate"]),
                    "net": Decimal(g["net"]),
                    "vat": Decimal(g["vat"]),
                }
                for g in invoice.vat_breakdown
            ],
            "notes": vat_notes(invoice),
            "payment_terms": payment_terms_text(invoice),
            "rf_formatted": rf_format(invoice.rf_reference),
            "qr": f"{RESOURCE_PREFIX}qr" if qr else "",
            "logo": f"{RESOURCE_PREFIX}logo" if has_logo else "",
            "colour": invoice.cooperative.colour,
            "corrects": invoice.corrects,
        }
        return render_pdf(
            "pdf/invoice.html",
            context,
            resources=resources,
            variant=variant,
            stylesheets=("css/pdf.css", "css/invoice-pdf.css"),
        )


def render(invoice: Invoice, fmt: str) -> bytes:
    from invoicing.einvoice.cii import build_cii
    from invoicing.einvoice.ubl import build_ubl

    if fmt == FORMATS.PDF:
        return render_invoice_pdf(invoice)
    if fmt == FORMATS.XRECHNUNG_CII:
        return build_cii(einvoice_data(invoice), profile="xrechnung")
    if fmt == FORMATS.XRECHNUNG_UBL:
        return build_ubl(einvoice_data(invoice))
    if fmt == FORMATS.ZUGFERD:
        from facturx import generate_from_binary

        xml = build_cii(einvoice_data(invoice), profile="en16931")
        carrier = render_invoice_pdf(invoice, variant="pdf/a-3b")
        return generate_from_binary(
            carrier,
            xml,
            flavor="factur-x",
            level="en16931",
            check_xsd=False,  # validated by our own checks (invoicing.einvoice.validate)
            lang=invoice.language or "de",
            pdf_metadata={
                "author": invoice.seller["name"],
                "keywords": "Factur-X, ZUGFeRD, Invoice",
                "title": f"{invoice.seller['name']}: {invoice.number_text}",
                "subject": f"{invoice.number_text} {invoice.issue_date.isoformat()}",
            },
        )
    raise ValueError(f"unknown format {fmt!r}")


class EInvoiceInvalid(ApplicationError):
    """A generated e-invoice failed EN 16931 or XRechnung: it is neither stored nor sent
    (BMF 15.10.2025: a format error means it is no e-invoice)."""


CHECKS = {
    FORMATS.ZUGFERD: ("cii", False, "en16931"),
    FORMATS.XRECHNUNG_CII: ("cii", True, "xrechnung"),
    FORMATS.XRECHNUNG_UBL: ("ubl", True, None),
}


def check_xml(invoice: Invoice, fmt: str) -> None:
    from invoicing.einvoice.cii import build_cii
    from invoicing.einvoice.ubl import build_ubl
    from invoicing.einvoice.validate import fatal, validate

    if fmt not in CHECKS:
        return
    syntax, xrechnung, profile = CHECKS[fmt]
    data = einvoice_data(invoice)
    xml = build_cii(data, profile=profile) if syntax == "cii" else build_ubl(data)
    problems = fatal(validate(xml, syntax=syntax, xrechnung=xrechnung))
    if problems:
        summary = "; ".join(f"{p.rule}: {p.message}" for p in problems[:5])
        raise EInvoiceInvalid(
            _("The e-invoice %(number)s failed validation: %(problems)s")
            % {"number": invoice.number_text, "problems": summary},
            code="einvoice_invalid",
        )


def invoice_document(*, invoice: Invoice, fmt: str) -> InvoiceDocument:
    """The stored document, rendered (and, for e-invoices, validated) the first time it is
    asked for."""
    existing = InvoiceDocument.objects.filter(invoice=invoice, format=fmt).first()
    if existing is not None:
        return existing
    if not invoice.is_issued:
        raise ValueError("only issued invoices have documents")
    check_xml(invoice, fmt)
    content = render(invoice, fmt)
    try:
        with transaction.atomic():
            return InvoiceDocument.objects.create(
                cooperative_id=invoice.cooperative_id,
                invoice=invoice,
                format=fmt,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
            )
    except IntegrityError:  # another worker stored it first; theirs is the original
        return InvoiceDocument.objects.get(invoice=invoice, format=fmt)
