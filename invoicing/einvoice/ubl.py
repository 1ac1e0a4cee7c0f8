"""OASIS UBL 2.1 Invoice / CreditNote in the XRechnung 3.0 CIUS from an `EInvoice`.

Element order follows the UBL 2.1 maindoc XSDs. Content matches `build_cii` for the same invoice.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from .cii import (
    PEPPOL_BILLING_PROCESS,
    SEPA_CREDIT_TRANSFER,
    XRECHNUNG_ID,
    document_notes,
    exemption,
    format_amount,
    format_price,
    format_quantity,
    line_rate,
    party_vat_id,
)
from .data import EInvoice, Party

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"

CREDIT_NOTE = "381"
_PREFIXES = {"cbc": CBC, "cac": CAC}


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{_PREFIXES[prefix]}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _iso(value: date) -> str:
    return value.isoformat()


def _party(parent: etree._Element, tag: str, party: Party, vat_id: str, *, seller: bool) -> None:
    node = _sub(_sub(parent, tag), "cac:Party")
    if party.email:  # BT-34 / BT-49; scheme EM = e-mail (CEF EAS), BR-62/BR-63
        _sub(node, "cbc:EndpointID", party.email, schemeID="EM")
    address = _sub(node, "cac:PostalAddress")
    if party.street:
        _sub(address, "cbc:StreetName", party.street)
    if party.city:
        _sub(address, "cbc:CityName", party.city)
    if party.postal_code:
        _sub(address, "cbc:PostalZone", party.postal_code)
    _sub(_sub(address, "cac:Country"), "cbc:IdentificationCode", party.country)
    if vat_id:
        scheme = _sub(node, "cac:PartyTaxScheme")
        _sub(scheme, "cbc:CompanyID", vat_id)
        _sub(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if seller and party.tax_number:
        # BT-32: any TaxScheme other than VAT; "FC" (fiscal code) is what XRechnung samples use.
        scheme = _sub(node, "cac:PartyTaxScheme")
        _sub(scheme, "cbc:CompanyID", party.tax_number)
        _sub(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
    legal = _sub(node, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", party.name)  # BT-27 / BT-44 live here in UBL
    if party.register:  # BT-30 / BT-47
        _sub(legal, "cbc:CompanyID", party.register)
    if party.contact_name or party.contact_phone or party.contact_email:
        contact = _sub(node, "cac:Contact")
        if party.contact_name:
            _sub(contact, "cbc:Name", party.contact_name)
        if party.contact_phone:
            _sub(contact, "cbc:Telephone", party.contact_phone)
        if party.contact_email:
            _sub(contact, "cbc:ElectronicMail", party.contact_email)


def build_ubl(invoice: EInvoice) -> bytes:
    """The invoice as UBL 2.1 XML (UTF-8 bytes): `Invoice`, or `CreditNote` for type code 381."""
    credit = invoice.type_code == CREDIT_NOTE
    kind = "CreditNote" if credit else "Invoice"
    namespace = CREDIT_NOTE_NS if credit else INVOICE_NS
    currency = invoice.currency
    root = etree.Element(f"{{{namespace}}}{kind}", nsmap={None: namespace, "cac": CAC, "cbc": CBC})

    _sub(root, "cbc:CustomizationID", XRECHNUNG_ID)
    _sub(root, "cbc:ProfileID", PEPPOL_BILLING_PROCESS)
    _sub(root, "cbc:ID", invoice.number)
    _sub(root, "cbc:IssueDate", _iso(invoice.issue_date))
    if invoice.due_date and not credit:
        _sub(root, "cbc:DueDate", _iso(invoice.due_date))
    _sub(root, f"cbc:{kind}TypeCode", invoice.type_code)
    for note in document_notes(invoice):
        _sub(root, "cbc:Note", note)
    _sub(root, "cbc:DocumentCurrencyCode", currency)
    if invoice.buyer_reference:
        _sub(root, "cbc:BuyerReference", invoice.buyer_reference)
    if invoice.period_start or invoice.period_end:
        period = _sub(root, "cac:InvoicePeriod")
        if invoice.period_start:
            _sub(period, "cbc:StartDate", _iso(invoice.period_start))
        if invoice.period_end:
            _sub(period, "cbc:EndDate", _iso(invoice.period_end))
    if invoice.preceding_number:
        reference = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _sub(reference, "cbc:ID", invoice.preceding_number)
        if invoice.preceding_date:
            _sub(reference, "cbc:IssueDate", _iso(invoice.preceding_date))

    _party(
        root,
        "cac:AccountingSupplierParty",
        invoice.seller,
        party_vat_id(invoice, invoice.seller),
        seller=True,
    )
    _party(
        root,
        "cac:AccountingCustomerParty",
        invoice.buyer,
        party_vat_id(invoice, invoice.buyer),
        seller=False,
    )

    if invoice.supply_date:
        _sub(_sub(root, "cac:Delivery"), "cbc:ActualDeliveryDate", _iso(invoice.supply_date))

    means = _sub(root, "cac:PaymentMeans")
    _sub(means, "cbc:PaymentMeansCode", invoice.payment_means_code)
    if invoice.due_date and credit:
        # UBL 2.1 CreditNote has no header DueDate; the EN 16931 binding puts BT-9 here.
        _sub(means, "cbc:PaymentDueDate", _iso(invoice.due_date))
    if invoice.remittance:
        _sub(means, "cbc:PaymentID", invoice.remittance)
    if invoice.payment_means_code == SEPA_CREDIT_TRANSFER:
        account = _sub(means, "cac:PayeeFinancialAccount")
        _sub(account, "cbc:ID", invoice.iban)
        if invoice.account_name:
            _sub(account, "cbc:Name", invoice.account_name)
        if invoice.bic:
            _sub(_sub(account, "cac:FinancialInstitutionBranch"), "cbc:ID", invoice.bic)
    if invoice.payment_terms:
        _sub(_sub(root, "cac:PaymentTerms"), "cbc:Note", invoice.payment_terms)

    tax_total = _sub(root, "cac:TaxTotal")
    _sub(tax_total, "cbc:TaxAmount", format_amount(invoice.vat_total), currencyID=currency)
    for group in invoice.vat_groups:
        subtotal = _sub(tax_total, "cac:TaxSubtotal")
        _sub(subtotal, "cbc:TaxableAmount", format_amount(group.taxable), currencyID=currency)
        _sub(subtotal, "cbc:TaxAmount", format_amount(group.tax), currencyID=currency)
        category = _sub(subtotal, "cac:TaxCategory")
        _sub(category, "cbc:ID", group.category)
        # BR-DE-14 wants BT-119 in every breakdown, also for O where EN 16931 leaves it open.
        _sub(category, "cbc:Percent", format_price(group.rate))
        reason, code = exemption(group.category, group.exemption_reason)
        if code:
            _sub(category, "cbc:TaxExemptionReasonCode", code)
        if reason:
            _sub(category, "cbc:TaxExemptionReason", reason)
        _sub(_sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")

    totals = _sub(root, "cac:LegalMonetaryTotal")
    _sub(totals, "cbc:LineExtensionAmount", format_amount(invoice.net_total), currencyID=currency)
    _sub(totals, "cbc:TaxExclusiveAmount", format_amount(invoice.net_total), currencyID=currency)
    _sub(totals, "cbc:TaxInclusiveAmount", format_amount(invoice.gross_total), currencyID=currency)
    _sub(totals, "cbc:PayableAmount", format_amount(invoice.gross_total), currencyID=currency)

    for line in invoice.lines:
        node = _sub(root, f"cac:{kind}Line")
        _sub(node, "cbc:ID", line.id)
        _sub(
            node,
            "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
            format_quantity(line.quantity),
            unitCode=line.unit,
        )
        _sub(node, "cbc:LineExtensionAmount", format_amount(line.net), currencyID=currency)
        item = _sub(node, "cac:Item")
        if line.description:
            _sub(item, "cbc:Description", line.description)
        _sub(item, "cbc:Name", line.name)
        category = _sub(item, "cac:ClassifiedTaxCategory")
        _sub(category, "cbc:ID", line.category)
        rate = line_rate(line.category, line.rate)
        if rate is not None:
            _sub(category, "cbc:Percent", format_price(rate))
        _sub(_sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")
        _sub(
            _sub(node, "cac:Price"),
            "cbc:PriceAmount",
            format_price(line.unit_price),
            currencyID=currency,
        )

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
