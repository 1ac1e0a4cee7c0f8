"""Shared set-up for invoice stories: both cooperatives ready to issue (tax number, VAT ID,
invoicing contact, fee rule), a German business client and a confirmed job for Alice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing import invoice_services, services
from invoicing.invoice_services import LineValues
from invoicing.models import Client, Invoice, InvoicingSettings, Job
from ledger.models import FeeRule
from ledger.services import accounts_ensure
from tenancy.scope import tenant_scope

D = Decimal

BUSINESS = {
    "kind": "business",
    "name": "Atelier Nord GmbH",
    "contact_person": "",
    "street": "Kai 1",
    "postal_code": "20457",
    "city": "Hamburg",
    "country": "DE",
    "vat_id": "DE136695976",
    "leitweg_id": "",
    "invoice_email": "rechnung@atelier.example",
    "language": "de",
    "payment_terms_days": 14,
}


def ready_to_issue(cooperative) -> None:
    cooperative.vat_id = "DE136695976"
    cooperative.tax_number = "29/123/45678"
    cooperative.bic = "COBADEFFXXX"
    cooperative.register_court = "Amtsgericht Charlottenburg"
    cooperative.register_number = "GnR 1234 B"
    cooperative.save()
    with tenant_scope(cooperative):
        InvoicingSettings.objects.create(
            cooperative=cooperative,
            contact_name="Rechnungsstelle",
            contact_phone="+49 30 1234567",
            contact_email=f"rechnung@{cooperative.slug}.example",
        )
        FeeRule.objects.create(cooperative=cooperative, percentage=D("9"))
        accounts_ensure(cooperative=cooperative)


@pytest.fixture
def coop_a_ready(coop_a):
    ready_to_issue(coop_a)
    return coop_a


@pytest.fixture
def coop_b_ready(coop_b):
    ready_to_issue(coop_b)
    return coop_b


def make_client(persona, **changes) -> Client:
    with tenant_scope(persona.cooperative):
        return services.client_save(
            client=None, values={**BUSINESS, **changes}, member=persona.member
        )


def make_job(persona, client, **changes) -> Job:
    values = {
        "client": client,
        "title": "Workshop moderation",
        "deliverable": "Two-day workshop",
        "period_start": date(2026, 11, 2),
        "period_end": date(2026, 11, 13),
        "place": "Hamburg",
        "pricing": "hourly",
        "hours": D("37.5"),
        "hourly_rate": D("85.00"),
        "fixed_price": None,
        "vat_category": "S19",
        "vat_reason": "",
        "uses_client_equipment": False,
        "in_client_rota": False,
        "follows_client_instructions": False,
        **changes,
    }
    with tenant_scope(persona.cooperative):
        job = services.job_save(job=None, member=persona.member, values=values)
        Job.objects.filter(pk=job.pk).update(status=Job.Status.CONFIRMED)
        job.refresh_from_db()
        return job


def line(description="Consulting", quantity="1", unit="HUR", price="100.00", cat="S", rate="19"):
    return LineValues(
        description=description,
        quantity=D(quantity),
        unit=unit,
        unit_price=D(price),
        vat_category=cat,
        vat_rate=D(rate),
    )


def draft(persona, client, lines, **values) -> Invoice:
    base = {
        "client": client,
        "supply_date": date(2026, 11, 20),
        "payment_terms_days": 14,
        "vat_note": "",
        "note": "",
        "buyer_reference": "",
    }
    with tenant_scope(persona.cooperative):
        return invoice_services.invoice_save_draft(
            invoice=None, member=persona.member, values={**base, **values}, lines=lines
        )


def issue(persona, invoice, staff) -> Invoice:
    with tenant_scope(persona.cooperative):
        invoice = Invoice.objects.get(pk=invoice.pk)
        invoice_services.invoice_submit(invoice=invoice, actor=persona.user)
        invoice.refresh_from_db()
        if invoice.status == Invoice.Status.ISSUED:
            return invoice
        return invoice_services.invoice_issue(invoice=invoice, actor=staff.user)
