"""Receipts: checked like every upload (size, real type from the content, no active PDF content)
and, when the receipt is an e-invoice, read: a ZUGFeRD/Factur-X PDF carries its CII XML as an
attachment, an XRechnung is the XML itself (CII or UBL). Supplier, number, date, total and the
VAT per rate then come from the invoice instead of the member's typing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from core.exceptions import ApplicationError
from members import uploads

MAX_BYTES = 10 * 1024 * 1024
CENT = Decimal("0.01")
EXTENSIONS = {**uploads.EXTENSIONS, ".xml": "application/xml"}
# Never accepted, e-invoice or not. Embedded files are allowed only when they are the invoice's
# own XML (checked below): that is what ZUGFeRD is.
PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/Launch", b"/RichMedia")

CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


@dataclass
class EInvoiceData:
    supplier: str
    number: str
    issue_date: date
    gross: Decimal
    vat: dict[Decimal, Decimal] = field(default_factory=dict)  # rate → tax amount


@dataclass
class Receipt:
    name: str
    content_type: str
    content: bytes
    sha256: str
    einvoice: EInvoiceData | None


def _refuse(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code)


def receipt_read(upload) -> Receipt:
    """The checked receipt, with its e-invoice data when it is one."""
    content, detected = uploads.sniff_upload(
        upload,
        max_bytes=MAX_BYTES,
        extensions=EXTENSIONS,
        type_message=_("Receipts are accepted as PDF, PNG, JPEG or XRechnung XML."),
        active_content=(),
    )
    einvoice = None
    if detected == "application/pdf":
        if any(marker in content for marker in PDF_ACTIVE_CONTENT):
            raise _refuse(_("PDF files with scripts are not accepted."), "file_active")
        if b"/EmbeddedFile" in content:
            xml = _embedded_invoice(content)
            if xml is None:
                raise _refuse(
                    _("PDF files with attachments are accepted only as ZUGFeRD/Factur-X."),
                    "file_active",
                )
            einvoice = einvoice_parse(xml)
    elif detected == "application/xml":
        einvoice = einvoice_parse(content)
    return Receipt(
        name=Path(upload.name).name[:200],
        content_type=detected,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        einvoice=einvoice,
    )


def _embedded_invoice(content: bytes) -> bytes | None:
    from facturx import get_xml_from_pdf

    try:
        _name, xml = get_xml_from_pdf(content, check_xsd=False)
    except Exception:
        return None
    return xml or None


def _root(xml: bytes):
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        raise _refuse(_("The XML contains a DOCTYPE or entities; it is refused."), "xml_unsafe")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise _refuse(
            _("The e-invoice is not well-formed XML (%(detail)s).") % {"detail": str(exc)[:100]},
            "xml_invalid",
        ) from exc


def _amount(text: str | None) -> Decimal:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite():
        raise ValueError(text)
    return value.quantize(CENT)


def einvoice_parse(xml: bytes) -> EInvoiceData:
    root = _root(xml)
    try:
        if root.tag == f"{{{CII['rsm']}}}CrossIndustryInvoice":
            data, currency = _cii(root)
        elif root.tag == f"{{{UBL['inv']}}}Invoice":
            data, currency = _ubl(root)
        else:
            raise _refuse(
                _("The XML is neither a CII nor a UBL invoice (ZUGFeRD/XRechnung)."),
                "einvoice_unknown",
            )
    except (ValueError, TypeError, AttributeError) as exc:
        raise _refuse(
            _("The e-invoice lacks its supplier, number, date or totals."), "einvoice_incomplete"
        ) from exc
    if currency != "EUR":
        raise _refuse(
            _("Only receipts in euros can be reimbursed (this one is in %(currency)s).")
            % {"currency": currency},
            "einvoice_currency",
        )
    if data.gross <= 0:
        raise _refuse(_("The e-invoice's total is not positive."), "einvoice_incomplete")
    return data


def _cii(root) -> tuple[EInvoiceData, str]:
    def one(path: str):
        found = root.find(path, CII)
        if found is None or not (found.text or "").strip():
            raise ValueError(path)
        return found.text.strip()

    settlement = ".//ram:ApplicableHeaderTradeSettlement"
    currency = one(f"{settlement}/ram:InvoiceCurrencyCode")
    summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    vat: dict[Decimal, Decimal] = {}
    for tax in root.findall(f"{settlement}/ram:ApplicableTradeTax", CII):
        rate = _amount(tax.findtext("ram:RateApplicablePercent", "0", CII))
        vat[rate] = vat.get(rate, Decimal("0.00")) + _amount(
            tax.findtext("ram:CalculatedAmount", None, CII)
        )
    issued = one("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
    data = EInvoiceData(
        supplier=one(".//ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/ram:Name"),
        number=one("rsm:ExchangedDocument/ram:ID"),
        issue_date=date(int(issued[:4]), int(issued[4:6]), int(issued[6:8])),
        gross=_amount(one(f"{summation}/ram:GrandTotalAmount")),
        vat=vat,
    )
    return data, currency


def _ubl(root) -> tuple[EInvoiceData, str]:
    def one(path: str):
        found = root.find(path, UBL)
        if found is None or not (found.text or "").strip():
            raise ValueError(path)
        return found.text.strip()

    party = "cac:AccountingSupplierParty/cac:Party"
    supplier = root.findtext(f"{party}/cac:PartyLegalEntity/cbc:RegistrationName", None, UBL)
    vat: dict[Decimal, Decimal] = {}
    for subtotal in root.findall("cac:TaxTotal/cac:TaxSubtotal", UBL):
        rate = _amount(subtotal.findtext("cac:TaxCategory/cbc:Percent", "0", UBL))
        vat[rate] = vat.get(rate, Decimal("0.00")) + _amount(
            subtotal.findtext("cbc:TaxAmount", None, UBL)
        )
    data = EInvoiceData(
        supplier=(supplier or one(f"{party}/cac:PartyName/cbc:Name")).strip(),
        number=one("cbc:ID"),
        issue_date=date.fromisoformat(one("cbc:IssueDate")),
        gross=_amount(one("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")),
        vat=vat,
    )
    return data, one("cbc:DocumentCurrencyCode")
