"""UN/CEFACT Cross Industry Invoice (D16B, as Factur-X 1.0 / ZUGFeRD 2.x use it) from an `EInvoice`.

Two profiles: Factur-X/ZUGFeRD "EN 16931" (COMFORT) and the German CIUS XRechnung 3.0. The
element order follows the Factur-X EN 16931 XSD, whose sequences are those of D16B.

The formatting helpers and VAT-category rules here are shared with the UBL builder.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from .data import EInvoice, Party

EN16931_ID = "urn:cen.eu:en16931:2017"
XRECHNUNG_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
# BT-23: XRechnung 3.0 expects the Peppol billing process id.
PEPPOL_BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

PROFILES = {"en16931": EN16931_ID, "xrechnung": XRECHNUNG_ID}

SEPA_CREDIT_TRANSFER = "58"  # UNTDID 4461

# BT-121 codes from the CEF VATEX list. Only where EN 16931 asks for "Reverse charge" / "Not subject
# to VAT" (BR-AE-10, BR-O-10, ...); a § 4 UStG exemption (E) is stated by text only.
VATEX_CODES = {"AE": "VATEX-EU-AE", "O": "VATEX-EU-O", "K": "VATEX-EU-IC", "G": "VATEX-EU-G"}

# BR-S-10, BR-Z-10, BR-AF/AG-10, BR-B: a breakdown of a taxed category must not carry an exemption
# reason. A reason given for such a group (e.g. the § 12 Abs. 2 Nr. 7 UStG note for 7 %) goes into
# the invoice notes (BT-22) instead, so the XML still holds everything the printed copy states.
TAXED_CATEGORIES = frozenset({"S", "Z", "L", "M"})

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}

_CENT = Decimal("0.01")


def _decimal(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    # A credit note built as "stored negative × -1" turns 0.00 into -0.00; print it as 0.00.
    return abs(value) if value.is_zero() else value


def format_amount(value: Decimal) -> str:
    """An amount with exactly two decimals; more would break BR-DEC-* and hide a rounding bug."""
    value = _decimal(value, "amount")
    cents = value.quantize(_CENT)
    if cents != value:
        raise ValueError(f"amount {value} has more than two decimals")
    return f"{cents:.2f}"


def format_price(value: Decimal) -> str:
    """A unit price or rate: at least two decimals, more kept as given (BT-146 is not limited)."""
    value = _decimal(value, "price")
    if value.as_tuple().exponent >= -2:
        return f"{value.quantize(_CENT):.2f}"
    return format(value.normalize(), "f")


def format_quantity(value: Decimal) -> str:
    return format(_decimal(value, "quantity").normalize(), "f")


def outside_scope(invoice: EInvoice) -> bool:
    """Whether the invoice is for supplies not subject to German VAT (category O)."""
    return any(line.category == "O" for line in invoice.lines) or any(
        group.category == "O" for group in invoice.vat_groups
    )


def party_vat_id(invoice: EInvoice, party: Party) -> str:
    # BR-O-02: an invoice with "Not subject to VAT" lines must carry neither the seller's nor the
    # buyer's VAT identifier (the Steuernummer BT-32 stays allowed and satisfies § 14 Abs. 4 UStG).
    return "" if outside_scope(invoice) else party.vat_id


def exemption(category: str, reason: str) -> tuple[str, str]:
    """(BT-120 text, BT-121 code) for a VAT breakdown of `category`."""
    if category in TAXED_CATEGORIES:
        return "", ""
    return reason, VATEX_CODES.get(category, "")


def line_rate(category: str, rate: Decimal) -> Decimal | None:
    # BR-O-05: a "Not subject to VAT" line has no VAT rate at all.
    return None if category == "O" else rate


def document_notes(invoice: EInvoice) -> list[str]:
    notes = [note for note in invoice.notes if note]
    for group in invoice.vat_groups:
        reason = group.exemption_reason
        if group.category in TAXED_CATEGORIES and reason and reason not in notes:
            notes.append(reason)
    return notes


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, tag: str, value: date, *, qualified: bool = False) -> None:
    holder = _sub(parent, tag)
    # Format 102 = CCYYMMDD (UNTDID 2379), the only one EN 16931 allows.
    _sub(
        holder,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        value.strftime("%Y%m%d"),
        format="102",
    )


def _party(parent: etree._Element, tag: str, party: Party, vat_id: str, *, seller: bool) -> None:
    node = _sub(parent, tag)
    _sub(node, "ram:Name", party.name)
    if party.register:  # BT-30 / BT-47
        _sub(_sub(node, "ram:SpecifiedLegalOrganization"), "ram:ID", party.register)
    if party.contact_name or party.contact_phone or party.contact_email:
        contact = _sub(node, "ram:DefinedTradeContact")
        if party.contact_name:
            _sub(contact, "ram:PersonName", party.contact_name)
        if party.contact_phone:
            _sub(
                _sub(contact, "ram:TelephoneUniversalCommunication"),
                "ram:CompleteNumber",
                party.contact_phone,
            )
        if party.contact_email:
            _sub(
                _sub(contact, "ram:EmailURIUniversalCommunication"),
                "ram:URIID",
                party.contact_email,
            )
    address = _sub(node, "ram:PostalTradeAddress")
    if party.postal_code:
        _sub(address, "ram:PostcodeCode", party.postal_code)
    if party.street:
        _sub(address, "ram:LineOne", party.street)
    if party.city:
        _sub(address, "ram:CityName", party.city)
    _sub(address, "ram:CountryID", party.country)
    if party.email:  # BT-34 / BT-49; scheme EM = e-mail (CEF EAS), BR-62/BR-63
        _sub(_sub(node, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if vat_id:
        _sub(_sub(node, "ram:SpecifiedTaxRegistration"), "ram:ID", vat_id, schemeID="VA")
    if seller and party.tax_number:
        _sub(_sub(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")


def build_cii(invoice: EInvoice, *, profile: str) -> bytes:
    """The invoice as CII XML (UTF-8 bytes) for profile "en16931" or "xrechnung"."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {sorted(PROFILES)}")
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)

    context = _sub(root, "rsm:ExchangedDocumentContext")
    if profile == "xrechnung":
        _sub(
            _sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"),
            "ram:ID",
            PEPPOL_BILLING_PROCESS,
        )
    _sub(
        _sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", PROFILES[profile]
    )

    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", invoice.number)
    _sub(document, "ram:TypeCode", invoice.type_code)
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    for note in document_notes(invoice):
        _sub(_sub(document, "ram:IncludedNote"), "ram:Content", note)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
        product = _sub(item, "ram:SpecifiedTradeProduct")
        _sub(product, "ram:Name", line.name)
        if line.description:
            _sub(product, "ram:Description", line.description)
        _sub(
            _sub(_sub(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice"),
            "ram:ChargeAmount",
            format_price(line.unit_price),
        )
        _sub(
            _sub(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            format_quantity(line.quantity),
            unitCode=line.unit,
        )
        settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:CategoryCode", line.category)
        rate = line_rate(line.category, line.rate)
        if rate is not None:
            _sub(tax, "ram:RateApplicablePercent", format_price(rate))
        _sub(
            _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
            "ram:LineTotalAmount",
            format_amount(line.net),
        )

    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    if invoice.buyer_reference:
        _sub(agreement, "ram:BuyerReference", invoice.buyer_reference)
    _party(
        agreement,
        "ram:SellerTradeParty",
        invoice.seller,
        party_vat_id(invoice, invoice.seller),
        seller=True,
    )
    _party(
        agreement,
        "ram:BuyerTradeParty",
        invoice.buyer,
        party_vat_id(invoice, invoice.buyer),
        seller=False,
    )

    delivery = _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    if invoice.supply_date:
        _date(
            _sub(delivery, "ram:ActualDeliverySupplyChainEvent"),
            "ram:OccurrenceDateTime",
            invoice.supply_date,
        )

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    if invoice.remittance:
        _sub(settlement, "ram:PaymentReference", invoice.remittance)
    _sub(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _sub(means, "ram:TypeCode", invoice.payment_means_code)
    if invoice.payment_means_code == SEPA_CREDIT_TRANSFER:
        account = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
        _sub(account, "ram:IBANID", invoice.iban)
        if invoice.account_name:
            _sub(account, "ram:AccountName", invoice.account_name)
        if invoice.bic:
            _sub(
                _sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"),
                "ram:BICID",
                invoice.bic,
            )
    for group in invoice.vat_groups:
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", format_amount(group.tax))
        _sub(tax, "ram:TypeCode", "VAT")
        reason, code = exemption(group.category, group.exemption_reason)
        if reason:
            _sub(tax, "ram:ExemptionReason", reason)
        _sub(tax, "ram:BasisAmount", format_amount(group.taxable))
        _sub(tax, "ram:CategoryCode", group.category)
        if code:
            _sub(tax, "ram:ExemptionReasonCode", code)
        # BR-DE-14 wants BT-119 in every breakdown, also for O where EN 16931 leaves it open.
        _sub(tax, "ram:RateApplicablePercent", format_price(group.rate))
    if invoice.period_start or invoice.period_end:
        period = _sub(settlement, "ram:BillingSpecifiedPeriod")
        if invoice.period_start:
            _date(period, "ram:StartDateTime", invoice.period_start)
        if invoice.period_end:
            _date(period, "ram:EndDateTime", invoice.period_end)
    if invoice.payment_terms or invoice.due_date:
        terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
        if invoice.payment_terms:
            _sub(terms, "ram:Description", invoice.payment_terms)
        if invoice.due_date:
            _date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(totals, "ram:LineTotalAmount", format_amount(invoice.net_total))
    _sub(totals, "ram:TaxBasisTotalAmount", format_amount(invoice.net_total))
    # BT-110 is the one CII amount that names its currency (it could repeat in BT-6, BT-111).
    _sub(
        totals, "ram:TaxTotalAmount", format_amount(invoice.vat_total), currencyID=invoice.currency
    )
    _sub(totals, "ram:GrandTotalAmount", format_amount(invoice.gross_total))
    _sub(totals, "ram:DuePayableAmount", format_amount(invoice.gross_total))
    if invoice.preceding_number:
        reference = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(reference, "ram:IssuerAssignedID", invoice.preceding_number)
        if invoice.preceding_date:
            _date(reference, "ram:FormattedIssueDateTime", invoice.preceding_date, qualified=True)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
