"""E-invoice XML (CII Factur-X EN 16931, CII XRechnung, UBL XRechnung) built from `EInvoice` and
checked by every validation layer: XML safety, XSD, EN 16931 schematron, XRechnung CIUS.

Amounts are the domain-de.md test vectors (T1, T3, T4, T6, T7).
"""

from __future__ import annotations

import dataclasses
import time
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from invoicing.einvoice.cii import NS as CII_NS
from invoicing.einvoice.cii import build_cii
from invoicing.einvoice.data import EInvoice, Line, Party, VatGroup
from invoicing.einvoice.ubl import CAC, CBC, build_ubl
from invoicing.einvoice.validate import Finding, fatal, validate

D = Decimal
UBL_NS = {"cac": CAC, "cbc": CBC}

SELLER = Party(
    name="Smart Demo eG",
    street="Oranienstraße 183",
    postal_code="10999",
    city="Berlin",
    country="DE",
    vat_id="DE136695976",
    tax_number="29/123/45678",
    email="rechnung@smart-demo.example",
    contact_name="Buchhaltung Smart Demo",
    contact_phone="+49 30 1234567",
    contact_email="buchhaltung@smart-demo.example",
    register="Amtsgericht Charlottenburg GnR 123 B",
)
BUYER_DE = Party(
    name="Beispiel Medien GmbH",
    street="Sendlinger Straße 7",
    postal_code="80331",
    city="München",
    country="DE",
    email="eingang@beispiel-medien.example",
)
BUYER_FR = Party(
    name="Exemple Studio SARL",
    street="12 rue de Rivoli",
    postal_code="75004",
    city="Paris",
    country="FR",
    vat_id="FR40303265045",
    email="factures@exemple-studio.example",
)
BUYER_CH = Party(
    name="Muster Design AG",
    street="Bahnhofstrasse 10",
    postal_code="8001",
    city="Zürich",
    country="CH",
    email="kreditoren@muster-design.example",
)
BUYER_PUBLIC = Party(
    name="Bezirksamt Friedrichshain-Kreuzberg von Berlin",
    street="Frankfurter Allee 35/37",
    postal_code="10247",
    city="Berlin",
    country="DE",
    email="rechnungseingang@ba-fk.example",
)


def line(n: int, quantity: str, price: str, net: str, *, unit="HUR", category="S", rate="19"):
    return Line(
        id=str(n),
        name=f"Leistung {n}",
        description="Konzeption und Umsetzung" if n == 1 else "",
        quantity=D(quantity),
        unit=unit,
        unit_price=D(price),
        net=D(net),
        category=category,
        rate=D(rate),
    )


def invoice(**changes) -> EInvoice:
    """T1: 37.5 h × 85.00 = 3,187.50 net, 19 % VAT 605.63 (half-up), gross 3,793.13."""
    base = EInvoice(
        number="RE-2026-000123",
        issue_date=date(2026, 3, 2),
        type_code="380",
        currency="EUR",
        buyer_reference="PO-4711",
        seller=SELLER,
        buyer=BUYER_DE,
        lines=(line(1, "37.5", "85.00", "3187.50"),),
        vat_groups=(VatGroup("S", D("19"), D("3187.50"), D("605.63")),),
        net_total=D("3187.50"),
        vat_total=D("605.63"),
        gross_total=D("3793.13"),
        due_date=date(2026, 3, 16),
        payment_terms="Zahlbar innerhalb von 14 Tagen ohne Abzug.",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        account_name="Smart Demo eG",
        remittance="RF73RE2026000123",
        supply_date=date(2026, 2, 27),
        notes=("Mitglied: Anna Beispiel (Projekt Website-Relaunch)",),
    )
    return dataclasses.replace(base, **changes)


CASES = {
    "t1_19_percent": invoice(),
    "t3_mixed_rates": invoice(
        lines=(
            line(1, "3", "99.99", "299.97", unit="C62"),
            line(2, "7", "0.07", "0.49", unit="C62", rate="7"),
        ),
        vat_groups=(
            VatGroup("S", D("19"), D("299.97"), D("56.99")),
            VatGroup("S", D("7"), D("0.49"), D("0.03")),
        ),
        net_total=D("300.46"),
        vat_total=D("57.02"),
        gross_total=D("357.48"),
        supply_date=None,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
    ),
    "t4_7_percent_with_reason": invoice(
        lines=(line(1, "1", "1234.56", "1234.56", unit="C62", rate="7"),),
        vat_groups=(
            VatGroup(
                "S",
                D("7"),
                D("1234.56"),
                D("86.42"),
                exemption_reason="Ermäßigter Steuersatz gem. § 12 Abs. 2 Nr. 7 c UStG "
                "(Einräumung urheberrechtlicher Nutzungsrechte)",
            ),
        ),
        net_total=D("1234.56"),
        vat_total=D("86.42"),
        gross_total=D("1320.98"),
    ),
    "t6_reverse_charge_eu": invoice(
        buyer=BUYER_FR,
        lines=(line(1, "8", "125.00", "1000.00", category="AE", rate="0"),),
        vat_groups=(
            VatGroup(
                "AE",
                D("0"),
                D("1000.00"),
                D("0.00"),
                exemption_reason="Reverse charge / Steuerschuldnerschaft des Leistungsempfängers",
            ),
        ),
        net_total=D("1000.00"),
        vat_total=D("0.00"),
        gross_total=D("1000.00"),
    ),
    "not_taxable_ch": invoice(
        buyer=BUYER_CH,
        lines=(line(1, "10", "90.00", "900.00", category="O", rate="0"),),
        vat_groups=(
            VatGroup(
                "O",
                D("0"),
                D("900.00"),
                D("0.00"),
                exemption_reason="Nicht im Inland steuerbare Leistung (§ 3a Abs. 2 UStG)",
            ),
        ),
        net_total=D("900.00"),
        vat_total=D("0.00"),
        gross_total=D("900.00"),
    ),
    "exempt": invoice(
        lines=(line(1, "12", "60.00", "720.00", category="E", rate="0"),),
        vat_groups=(
            VatGroup("E", D("0"), D("720.00"), D("0.00"), "Steuerfrei gem. § 4 Nr. 21 UStG"),
        ),
        net_total=D("720.00"),
        vat_total=D("0.00"),
        gross_total=D("720.00"),
    ),
    "t7_credit_note": invoice(
        number="GS-2026-000007",
        issue_date=date(2026, 3, 20),
        type_code="381",
        due_date=None,
        payment_terms="Der Betrag wird Ihnen innerhalb von 14 Tagen erstattet.",
        preceding_number="RE-2026-000123",
        preceding_date=date(2026, 3, 2),
        notes=("Storno der Rechnung RE-2026-000123 vom 02.03.2026",),
    ),
    "public_client_leitweg_id": invoice(buyer=BUYER_PUBLIC, buyer_reference="04011000-12345-67"),
}

FORMATS = {
    "cii-en16931": (lambda x: build_cii(x, profile="en16931"), "cii", False),
    "cii-xrechnung": (lambda x: build_cii(x, profile="xrechnung"), "cii", True),
    "ubl-xrechnung": (build_ubl, "ubl", True),
}


def rules(findings: list[Finding]) -> set[str]:
    return {finding.rule for finding in findings}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES)
def test_every_case_is_valid_in_every_format(case, fmt):
    build, syntax, xrechnung = FORMATS[fmt]
    findings = validate(build(CASES[case]), syntax=syntax, xrechnung=xrechnung)
    assert fatal(findings) == []


def test_cii_carries_the_t1_amounts_and_identifiers():
    root = etree.fromstring(build_cii(invoice(), profile="xrechnung"))

    def text(path):
        return root.xpath(f"string({path})", namespaces=CII_NS)

    summation = (
        "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    )
    assert text(f"{summation}/ram:TaxTotalAmount") == "605.63"
    assert text(f"{summation}/ram:TaxTotalAmount/@currencyID") == "EUR"
    assert text(f"{summation}/ram:DuePayableAmount") == "3793.13"
    assert text("//ram:BilledQuantity") == "37.5"
    assert text("//ram:BilledQuantity/@unitCode") == "HUR"
    assert text("//ram:IssueDateTime/udt:DateTimeString") == "20260302"
    assert text("//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID") == "EM"
    assert text("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") == (
        "29/123/45678"
    )


def test_reduced_rate_reason_goes_to_notes_not_to_the_breakdown():
    # BR-S-10 forbids an exemption reason on a standard-rated breakdown.
    xml = build_cii(CASES["t4_7_percent_with_reason"], profile="en16931")
    root = etree.fromstring(xml)
    assert not root.xpath("//ram:ExemptionReason", namespaces=CII_NS)
    notes = root.xpath("//ram:IncludedNote/ram:Content/text()", namespaces=CII_NS)
    assert any("§ 12 Abs. 2 Nr. 7 c UStG" in note for note in notes)


def test_outside_scope_drops_vat_ids_and_reverse_charge_keeps_both():
    # BR-O-02 forbids seller and buyer VAT IDs; BR-AE-02 and § 14a Abs. 1 UStG require both.
    outside = etree.fromstring(build_ubl(CASES["not_taxable_ch"]))
    schemes = outside.xpath("//cac:PartyTaxScheme/cac:TaxScheme/cbc:ID/text()", namespaces=UBL_NS)
    assert schemes == ["FC"]
    reverse = etree.fromstring(build_cii(CASES["t6_reverse_charge_eu"], profile="en16931"))
    vat_ids = reverse.xpath(
        "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']/text()", namespaces=CII_NS
    )
    assert vat_ids == ["DE136695976", "FR40303265045"]
    assert reverse.xpath("string(//ram:ExemptionReasonCode)", namespaces=CII_NS) == "VATEX-EU-AE"


def test_credit_note_is_a_ubl_credit_note_with_a_billing_reference():
    root = etree.fromstring(build_ubl(CASES["t7_credit_note"]))
    assert etree.QName(root).localname == "CreditNote"
    assert root.findtext(f"{{{CBC}}}CreditNoteTypeCode") == "381"
    assert len(root.xpath("cac:CreditNoteLine/cbc:CreditedQuantity", namespaces=UBL_NS)) == 1
    reference = "string(cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID)"
    assert root.xpath(reference, namespaces=UBL_NS) == "RE-2026-000123"


# --- each layer can fail ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["cii-xrechnung", "ubl-xrechnung"])
def test_xrechnung_without_buyer_reference_fails_br_de_15(fmt):
    build, syntax, _ = FORMATS[fmt]
    findings = validate(build(invoice(buyer_reference="")), syntax=syntax, xrechnung=True)
    assert "BR-DE-15" in rules(fatal(findings))


def test_en16931_without_buyer_reference_is_fine():
    xml = build_cii(invoice(buyer_reference=""), profile="en16931")
    assert fatal(validate(xml, syntax="cii", xrechnung=False)) == []


@pytest.mark.parametrize("fmt", ["cii-xrechnung", "ubl-xrechnung"])
def test_invalid_iban_fails_br_de_19(fmt):
    build, syntax, _ = FORMATS[fmt]
    xml = build(invoice(iban="DE89370400440532013001"))
    assert "BR-DE-19" in rules(fatal(validate(xml, syntax=syntax, xrechnung=True)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_tampered_total_fails_the_cen_schematron(fmt):
    build, syntax, xrechnung = FORMATS[fmt]
    xml = build(invoice(gross_total=D("3794.13")))
    found = rules(fatal(validate(xml, syntax=syntax, xrechnung=xrechnung)))
    assert "BR-CO-15" in found  # BT-112 = BT-109 + BT-110


def test_missing_electronic_address_is_an_xrechnung_error():
    xml = build_ubl(invoice(buyer=dataclasses.replace(BUYER_DE, email="")))
    assert "PEPPOL-EN16931-R010" in rules(fatal(validate(xml, syntax="ubl", xrechnung=True)))


def test_missing_seller_contact_is_an_xrechnung_error():
    seller = dataclasses.replace(SELLER, contact_name="", contact_phone="", contact_email="")
    xml = build_cii(invoice(seller=seller), profile="xrechnung")
    assert "BR-DE-2" in rules(fatal(validate(xml, syntax="cii", xrechnung=True)))


def test_corrected_invoice_without_preceding_reference_fails_br_de_26():
    xml = build_ubl(invoice(type_code="384"))
    assert "BR-DE-26" in rules(fatal(validate(xml, syntax="ubl", xrechnung=True)))


def _without(xml: bytes, path: str, namespaces: dict) -> bytes:
    root = etree.fromstring(xml)
    for element in root.xpath(path, namespaces=namespaces):
        element.getparent().remove(element)
    return etree.tostring(root)


def test_schema_violation_is_an_xsd_finding():
    xml = _without(
        build_cii(invoice(), profile="en16931"),
        "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode",
        CII_NS,
    )
    findings = validate(xml, syntax="cii", xrechnung=False)
    assert rules(findings) == {"XSD"}
    assert all(finding.flag == "fatal" for finding in findings)


def test_ubl_schema_violation_is_an_xsd_finding():
    xml = _without(build_ubl(invoice()), "/*/cbc:IssueDate", {"cbc": CBC})
    assert rules(fatal(validate(xml, syntax="ubl", xrechnung=True))) == {"XSD"}


def test_doctype_with_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = build_cii(invoice(), profile="en16931").decode("utf-8")
    declaration, body = xml.split("\n", 1)
    body = body.replace("RE-2026-000123", "&xxe;", 1)
    hostile = (
        f"{declaration}\n"
        f"<!DOCTYPE rsm:CrossIndustryInvoice [\n"
        f'  <!ENTITY xxe SYSTEM "file://{secret}">\n'
        f'  <!ENTITY net SYSTEM "http://127.0.0.1:9/steal">\n'
        f"]>\n{body}"
    ).encode()
    findings = validate(hostile, syntax="cii", xrechnung=False)
    assert [(f.rule, f.flag) for f in findings] == [("XML", "fatal")]
    assert "DOCTYPE" in findings[0].message
    assert all("TOP-SECRET" not in f.message for f in findings)


def test_malformed_xml_is_a_finding_not_a_crash():
    findings = validate(b"<rsm:CrossIndustryInvoice", syntax="cii", xrechnung=False)
    assert rules(findings) == {"XML"}


def test_negative_zero_is_written_as_zero():
    credit = CASES["t6_reverse_charge_eu"]
    group = dataclasses.replace(credit.vat_groups[0], tax=D("0.00") * -1)
    xml = build_ubl(dataclasses.replace(credit, vat_groups=(group,), vat_total=D("-0.00")))
    assert b"-0.00" not in xml


def test_amounts_must_be_decimals_with_two_places():
    with pytest.raises(ValueError):
        build_cii(invoice(net_total=D("3187.505")), profile="en16931")
    with pytest.raises(TypeError):
        build_ubl(invoice(vat_total=605.63))


def test_validation_is_fast_once_warm():
    xml = build_ubl(invoice())
    validate(xml, syntax="ubl", xrechnung=True)
    started = time.perf_counter()
    validate(xml, syntax="ubl", xrechnung=True)
    assert time.perf_counter() - started < 2.0
