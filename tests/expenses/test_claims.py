"""Alice paid for materials and a train ticket out of her own pocket. She claims them with the
receipts; one is a ZUGFeRD invoice and is read by itself. Sabine approves (the budget pays the
net amount, the cooperative reclaims the VAT) and the claims are paid out with the next salary,
on the payslip, in the SEPA file and in the LODAS file as a tax-free reimbursement."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from facturx import generate_from_binary
from weasyprint import HTML

from core.exceptions import ApplicationError
from expenses import services
from expenses.models import ExpenseClaim
from invoicing.einvoice.cii import build_cii
from invoicing.einvoice.ubl import build_ubl
from ledger.models import AccountKind, Entry
from payroll import handoff
from payroll import selectors as payroll_selectors
from payroll import services as payroll_services
from tenancy.scope import tenant_scope
from tests.invoicing.test_einvoice import CASES
from tests.payroll.test_handoff import _configure
from tests.payroll.test_runs import SIX_MONTHS, _compute, _employ, _income

pytestmark = pytest.mark.django_db
D = Decimal
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _zugferd(case="t3_mixed_rates", **changes) -> bytes:
    import dataclasses

    invoice = dataclasses.replace(CASES[case], **changes)
    carrier = HTML(string="<p>Rechnung</p>").write_pdf()
    return generate_from_binary(
        carrier,
        build_cii(invoice, profile="en16931"),
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
    )


def _claim(client, file: bytes, name: str, **fields):
    data = {"category": "materials", "description": "Material", "vat_rate": "19", **fields}
    return client.post(
        "/expenses/", {**data, "receipt": SimpleUploadedFile(name, file)}, follow=True
    )


def test_a_photo_receipt_and_a_zugferd_invoice_are_claimed_approved_and_paid_with_the_salary(
    coop_a, alice, sabine, stefan, login, mailoutbox, django_assert_max_num_queries
):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    _configure(coop_a, lodas_wage_type_expenses="9600")
    member = login(alice)
    page = _claim(
        member,
        PNG,
        "ticket.png",
        supplier="Deutsche Bahn",
        receipt_date="2026-11-03",
        gross="119.00",
        category="travel",
        description="Train to the client",
    )
    assert "Your claim was submitted." in page.text
    page = _claim(member, _zugferd(), "rechnung.pdf")
    assert "Read from the e-invoice: Smart Demo eG, no. RE-2026-000123, 357.48 €" in page.text
    with tenant_scope(coop_a):
        ticket, material = ExpenseClaim.objects.order_by("pk")
    assert (ticket.gross, ticket.vat_19, ticket.vat_7, ticket.net) == (
        D("119.00"),
        D("19.00"),
        D("0.00"),
        D("100.00"),
    )
    # T3 of domain-de.md: 19 % and 7 % on one invoice, read to the cent.
    assert material.read_from_einvoice and str(material.receipt_date) == "2026-03-02"
    assert (material.gross, material.vat_19, material.vat_7, material.net) == (
        D("357.48"),
        D("56.99"),
        D("0.03"),
        D("300.46"),
    )
    with django_assert_max_num_queries(10):
        listing = member.get("/expenses/")
    assert listing.text.count("submitted") >= 2
    assert member.get(f"/expenses/{material.pk}/receipt").content.startswith(b"%PDF")

    with tenant_scope(coop_a):
        budget = payroll_selectors.budget_balances(member_ids=[alice.member.pk])[alice.member.pk]
        for claim in (ticket, material):
            services.expense_approve(claim=claim, actor=sabine.user)
        after = payroll_selectors.budget_balances(member_ids=[alice.member.pk])[alice.member.pk]
        assert after == budget - D("400.46")  # the net amounts; the VAT comes back
        kinds = {}
        for entry in Entry.objects.filter(transaction__source_type="expense"):
            kinds[entry.account.kind] = kinds.get(entry.account.kind, 0) + entry.amount
        assert kinds == {
            AccountKind.MEMBER_BUDGET: D("400.46"),
            AccountKind.INPUT_VAT_19: D("75.99"),
            AccountKind.INPUT_VAT_7: D("0.03"),
            AccountKind.WAGES_PAYABLE: D("-476.48"),
        }
    assert any("was approved" in m.body for m in mailoutbox if m.to == [alice.user.email])

    run, _summary = _compute(coop_a)
    with tenant_scope(coop_a):
        line = run.lines.get()
        assert line.expenses_reimbursed == D("476.48")
        run = payroll_services.payroll_run_submit(run=run, actor=sabine.user)
        run = payroll_services.payroll_run_approve(run=run, actor=stefan.user)
        sepa = bytes(run.payment_file.content).decode()
        assert f'<InstdAmt Ccy="EUR">{line.net + D("476.48")}</InstdAmt>' in sepa
        assert set(ExpenseClaim.objects.values_list("status", "payroll_line")) == {
            ("reimbursed", line.pk)
        }
        lodas = handoff.lodas_export(
            run=run, settings=payroll_services.payroll_settings(cooperative=coop_a)
        ).decode("cp1252")
        assert re.search(r"\r\n10;01\.11\.2026;\d+;9600;4;476,48;\d+;", lodas)
    # The next month has nothing left to reimburse.
    assert "reimbursed" in login(alice).get("/expenses/").text


def test_xrechnung_xml_is_read_and_bad_receipts_are_refused_clearly(coop_a, alice, login):
    member = login(alice)
    ubl = build_ubl(CASES["t1_19_percent"])
    page = _claim(member, ubl, "xrechnung.xml")
    assert "3793.13 €" in page.text
    refusals = {
        "The file's content does not match its name.": (PNG, "scan.pdf", {}),
        "PDF files with scripts are not accepted.": (
            b"%PDF-1.4 /JavaScript (app.alert(1))",
            "x.pdf",
            {},
        ),
        "PDF files with attachments are accepted only as ZUGFeRD/Factur-X.": (
            b"%PDF-1.4 /EmbeddedFile",
            "x.pdf",
            {},
        ),
        "Enter the amount you paid, more than 0 €.": (
            PNG,
            "r.png",
            {"supplier": "Shop", "receipt_date": "2026-11-02"},
        ),
        "The receipt date is in the future.": (
            PNG,
            "r.png",
            {"supplier": "Shop", "receipt_date": "2027-01-02", "gross": "5.00"},
        ),
        "Only receipts in euros can be reimbursed (this one is in CHF).": (
            build_ubl(CASES["t1_19_percent"]).replace(b">EUR<", b">CHF<"),
            "chf.xml",
            {},
        ),
        "The XML contains a DOCTYPE or entities; it is refused.": (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><Invoice/>',
            "e.xml",
            {},
        ),
    }
    for message, (content, name, fields) in refusals.items():
        page = _claim(member, content, name, **fields)
        assert message in html.unescape(page.text), message
    with tenant_scope(coop_a):
        assert ExpenseClaim.objects.count() == 1
    api = member.post(
        "/api/v1/members/me/expenses/",
        {
            "category": "other",
            "description": "Stamps",
            "supplier": "Post",
            "receipt_date": "2026-11-01",
            "gross": "10.70",
            "vat_rate": "7",
            "receipt": SimpleUploadedFile("stamps.jpg", b"\xff\xd8\xff" + b"\x00" * 32),
        },
    )
    assert api.status_code == 201
    assert (api.json()["vat_7"], api.json()["net"]) == ("0.70", "10.00")
    refused = member.post(
        "/api/v1/members/me/expenses/",
        {"category": "other", "description": "x", "receipt": SimpleUploadedFile("a.png", PNG)},
    )
    assert refused.status_code == 400 and refused.json()["error"]["message"] == (
        "Enter who you paid."
    )


def test_staff_reject_with_a_reason_and_the_budget_guards_approval(
    coop_a, alice, sabine, login, mailoutbox
):
    _claim(login(alice), PNG, "r.png", supplier="Shop", receipt_date="2026-11-02", gross="50.00")
    with tenant_scope(coop_a):
        claim = ExpenseClaim.objects.get()
        with pytest.raises(ApplicationError, match="does not cover"):
            services.expense_approve(claim=claim, actor=sabine.user)
    staff = login(sabine)
    page = staff.post(
        "/admin/expenses/expenseclaim/",
        {"action": "reject", "_selected_action": [claim.pk], "apply": "1", "reason": "Private"},
        follow=True,
    )
    assert "1 claim(s) rejected." in page.text
    with tenant_scope(coop_a):
        claim.refresh_from_db()
        assert claim.status == "rejected" and claim.reject_reason == "Private"
        with pytest.raises(ApplicationError, match="already decided"):
            services.expense_approve(claim=claim, actor=sabine.user)
    assert any("Reason: Private" in m.body for m in mailoutbox if m.to == [alice.user.email])
    receipt = staff.get(f"/admin/expenses/expenseclaim/{claim.pk}/receipt/")
    assert receipt.status_code == 200 and receipt.content == PNG


def test_expense_claims_stay_with_their_member_and_cooperative(
    coop_a, alice, carol, dirk, login, client
):
    _claim(login(alice), PNG, "r.png", supplier="Shop", receipt_date="2026-11-02", gross="50.00")
    with tenant_scope(coop_a):
        claim = ExpenseClaim.objects.get()
    client.logout()
    other = login(carol)
    assert other.get(f"/expenses/{claim.pk}/receipt").status_code == 404
    assert other.get(f"/api/v1/members/me/expenses/{claim.pk}/receipt/").status_code == 404
    assert other.get("/api/v1/members/me/expenses/").json() == []
    client.logout()
    staff = login(dirk)
    assert staff.get(f"/admin/expenses/expenseclaim/{claim.pk}/receipt/").status_code == 404
    assert staff.get(f"/admin/expenses/expenseclaim/{claim.pk}/change/").status_code in (302, 404)
