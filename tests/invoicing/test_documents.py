"""Documents of issued invoices: every VAT case in all formats passes EN 16931 (and the
XRechnung rules for XRechnung); the PDF carries the § 14 UStG items, escapes what members type
and fetches nothing (R22); the e-mail to the client carries the documents."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf
from pypdf import PdfReader

from core import pdf as core_pdf
from core.exceptions import ApplicationError
from core.models import OutboundEmail
from invoicing import delivery, documents, invoice_services
from invoicing.einvoice.validate import fatal, validate
from invoicing.models import Invoice, InvoiceDelivery, InvoiceDocument
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import draft, issue, line, make_client

pytestmark = pytest.mark.django_db
D = Decimal
SYNTAX = {"zugferd": ("cii", False), "xrechnung-cii": ("cii", True), "xrechnung-ubl": ("ubl", True)}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def every_vat_case(alice, sabine) -> list[Invoice]:
    german = make_client(alice)
    french = make_client(alice, name="Studio Paris SARL", country="FR", vat_id="FR40303265045")
    swiss = make_client(alice, name="Zürich Design AG", country="CH", vat_id="", language="en")
    public = make_client(
        alice,
        kind="public",
        name="Bezirksamt Mitte",
        vat_id="",
        leitweg_id="04011000-1234512345-06",
    )
    consumer = make_client(alice, kind="consumer", name="Eva Muster", vat_id="")
    cases = [
        draft(alice, german, [line(quantity="37.5", price="85.00")]),
        draft(
            alice,
            german,
            [line(quantity="3", price="99.99"), line(quantity="7", price="0.07", rate="7")],
            vat_note="§ 12 (2) no. 7 c UStG",
            supply_date=None,
            period_start="2026-11-02",
            period_end="2026-11-13",
        ),
        draft(alice, french, [line(price="1000.00", cat="AE", rate="0")]),
        draft(alice, swiss, [line(price="800.00", cat="O", rate="0")]),
        draft(alice, german, [line(price="500.00", cat="E", rate="0")], vat_note="§ 4 Nr. 21 UStG"),
        draft(alice, public, [line(quantity="8", price="70.00")]),
        draft(alice, consumer, [line(price="200.00")]),
    ]
    issued = [issue(alice, invoice, sabine) for invoice in cases]
    with tenant_scope(alice.cooperative):
        issued.append(
            invoice_services.invoice_cancel(invoice=issued[0], actor=sabine.user, reason="wrong")
        )
        issued.append(
            invoice_services.invoice_credit_note(
                invoice=issued[5], actor=sabine.user, reason="1 h less", lines=[line(price="70.00")]
            )
        )
    return issued


def test_every_vat_case_passes_en16931_and_xrechnung_in_all_formats(coop_a_ready, alice, sabine):
    invoices = every_vat_case(alice, sabine)
    with tenant_scope(coop_a_ready):
        for invoice in invoices:
            for fmt, (syntax, xrechnung) in SYNTAX.items():
                content = bytes(documents.invoice_document(invoice=invoice, fmt=fmt).content)
                xml = get_xml_from_pdf(content)[1] if fmt == "zugferd" else content
                problems = fatal(validate(xml, syntax=syntax, xrechnung=xrechnung))
                assert problems == [], (invoice.number_text, fmt, problems)
            assert documents.invoice_document(invoice=invoice, fmt="pdf").content


def test_the_pdf_has_every_section_14_item_and_the_member(coop_a_ready, alice, sabine):
    client = make_client(alice, language="en")
    invoice = issue(alice, draft(alice, client, [line(quantity="37.5", price="85.00")]), sabine)
    with tenant_scope(coop_a_ready):
        text = pdf_text(documents.render_invoice_pdf(invoice))
    for expected in (
        coop_a_ready.legal_name,
        "Atelier Nord GmbH",
        "Kai 1",
        "DE136695976",
        "29/123/45678",
        invoice.number_text,
        "Invoice",
        "3,187.50",
        "605.63",
        "3,793.13",
        alice.member.full_name,
        coop_a_ready.iban,
        invoice.rf_reference[:4],
    ):
        assert expected in text, expected


def test_consumer_invoice_in_german_has_the_default_notice(coop_a_ready, alice, sabine):
    consumer = make_client(alice, kind="consumer", name="Eva Muster", vat_id="")
    invoice = issue(alice, draft(alice, consumer, [line(price="400.00")]), sabine)
    with tenant_scope(coop_a_ready):
        text = " ".join(pdf_text(documents.render_invoice_pdf(invoice)).split())
    assert "Rechnung" in text and "286" in text and "Verzug" in text


def test_html_in_descriptions_is_printed_as_text_and_nothing_is_fetched(
    coop_a_ready, alice, sabine, monkeypatch
):
    seen = []
    original = core_pdf._safe_fetcher

    def spying(resources=None):
        fetcher = original(resources)
        seen.append(fetcher)
        return fetcher

    monkeypatch.setattr(core_pdf, "_safe_fetcher", spying)
    client = make_client(alice)
    hostile = (
        '<img src="http://127.0.0.1:9/x.png"><link rel="stylesheet" href="file:///etc/passwd">'
        "<script>alert(1)</script>"
    )
    invoice = issue(alice, draft(alice, client, [line(description=hostile)], note=hostile), sabine)
    with tenant_scope(coop_a_ready):
        text = pdf_text(documents.render_invoice_pdf(invoice))
    assert "<script>alert(1)</script>" in text.replace("\n", "")
    fetched = [url for fetcher in seen for url in fetcher.fetched]
    assert fetched == [f"{core_pdf.RESOURCE_PREFIX}qr"]  # the GiroCode we handed over, no more


def test_documents_are_stored_once_and_never_change(coop_a_ready, alice, sabine):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line()]), sabine)
    with tenant_scope(coop_a_ready):
        first = documents.invoice_document(invoice=invoice, fmt="xrechnung-ubl")
        again = documents.invoice_document(invoice=invoice, fmt="xrechnung-ubl")
        assert first.pk == again.pk and first.sha256 == again.sha256
        assert InvoiceDocument.objects.count() == 1


def test_issuing_e_mails_the_client_the_zugferd_pdf_and_the_xml_for_public_clients(
    coop_a_ready, alice, sabine, mailoutbox
):
    from core import services as core_services

    public = make_client(
        alice,
        kind="public",
        name="Bezirksamt Mitte",
        vat_id="",
        leitweg_id="04011000-1234512345-06",
    )
    invoice = issue(alice, draft(alice, public, [line()]), sabine)
    with tenant_scope(coop_a_ready):
        queued = InvoiceDelivery.objects.get(invoice=invoice)
        assert queued.status == "pending" and queued.to == "rechnung@atelier.example"
        assert delivery.delivery_send(delivery_id=queued.pk) is True
        assert delivery.delivery_send(delivery_id=queued.pk) is False  # a second run: nothing
        queued.refresh_from_db()
    email = OutboundEmail.objects.get(pk=queued.email_id)
    core_services.email_send(email_id=email.pk)
    sent = [m for m in mailoutbox if m.to == ["rechnung@atelier.example"]]
    assert len(sent) == 1
    names = [name for name, _content, _type in sent[0].attachments]
    assert names == [
        f"{invoice.number_text}.zugferd.pdf",
        f"{invoice.number_text}.xrechnung-cii.xml",
    ]
    assert invoice.number_text in sent[0].subject
    with tenant_scope(coop_a_ready):
        queued.refresh_from_db()
        assert queued.status == "sent"
        again = delivery.delivery_resend(invoice=invoice, actor=sabine.user, to="other@amt.example")
        assert again.to == "other@amt.example" and InvoiceDelivery.objects.count() == 2
        with pytest.raises(ApplicationError) as wrong:
            delivery.delivery_resend(invoice=invoice, actor=sabine.user, to="not-an-address")
        assert wrong.value.code == "invalid_email" and wrong.value.extra["to"]


def test_an_invalid_e_invoice_is_neither_stored_nor_sent(coop_a_ready, alice, sabine, monkeypatch):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line()]), sabine)

    def broken(invoice, fmt):
        raise documents.EInvoiceInvalid("BR-CO-15: totals do not add up", code="einvoice_invalid")

    monkeypatch.setattr(documents, "check_xml", broken)
    with tenant_scope(coop_a_ready):
        queued = InvoiceDelivery.objects.get(invoice=invoice)
        for _ in range(InvoiceDelivery.MAX_ATTEMPTS + 1):
            assert delivery.delivery_send(delivery_id=queued.pk) is False
        queued.refresh_from_db()
        assert queued.status == "failed" and queued.attempts == InvoiceDelivery.MAX_ATTEMPTS
        assert "BR-CO-15" in queued.failed_reason and queued.email_id is None
        assert not InvoiceDocument.objects.exists()


def test_corrections_ask_for_no_payment(coop_a_ready, alice, sabine):
    client = make_client(alice)
    original = issue(alice, draft(alice, client, [line()]), sabine)
    with tenant_scope(coop_a_ready):
        storno = invoice_services.invoice_cancel(invoice=original, actor=sabine.user, reason="x")
        xml = bytes(documents.invoice_document(invoice=storno, fmt="xrechnung-ubl").content)
        text = pdf_text(documents.render_invoice_pdf(storno))
    assert b"<cbc:PaymentMeansCode>1</cbc:PaymentMeansCode>" in xml
    assert coop_a_ready.iban.encode() not in xml and coop_a_ready.iban not in text
