"""The demo data covers every VAT case, a cancellation, a credit note, a public client and drafts
waiting for approval; every issued demo invoice passes EN 16931 in all three e-invoice formats
(and the XRechnung rules in the XRechnung formats), through the export command."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from invoicing.models import Invoice
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db


def test_demo_invoices_cover_the_cases_and_all_export_valid(tmp_path):
    call_command("seed_demo", stdout=StringIO())
    for slug in ("smart-demo", "coop-nord"):
        with tenant_scope(Cooperative.objects.get(slug=slug)):
            issued = Invoice.objects.filter(status="issued")
            categories = {g["category"] for i in issued for g in i.vat_breakdown}
            rates = {
                Decimal(g["rate"]) for i in issued for g in i.vat_breakdown if g["category"] == "S"
            }
            assert categories == {"S", "AE", "O", "E"} and rates == {19, 7}
            assert issued.filter(kind="cancellation").count() == 1
            assert issued.filter(kind="credit_note").count() == 1
            assert issued.filter(buyer__kind="public").exists()
            assert issued.filter(small_amount=True).exists()
            assert Invoice.objects.filter(status="submitted").count() == 2
            assert Invoice.objects.filter(status="draft").exists()
            count = issued.count()
        for fmt in ("zugferd", "xrechnung-cii", "xrechnung-ubl"):
            out = StringIO()
            call_command(
                "export_einvoice",
                "--all",
                cooperative=slug,
                fmt=fmt,
                output=str(tmp_path / slug / fmt),
                stdout=out,
            )
            assert out.getvalue().strip() == f"exported={count} invalid=0"
            assert len(list((tmp_path / slug / fmt).iterdir())) == count
    out = StringIO()
    call_command("seed_demo", stdout=out)  # again: nothing new
    with tenant_scope(Cooperative.objects.get(slug="smart-demo")):
        assert Invoice.objects.filter(status="issued").count() == count


def test_export_of_one_invoice_to_a_file_and_clear_errors(tmp_path):
    call_command("seed_demo", stdout=StringIO())
    with tenant_scope(Cooperative.objects.get(slug="smart-demo")):
        number = Invoice.objects.filter(status="issued").order_by("number").first().number_text
    target = tmp_path / "one.xml"
    out = StringIO()
    call_command(
        "export_einvoice",
        number,
        cooperative="smart-demo",
        fmt="xrechnung-ubl",
        output=str(target),
        stdout=out,
    )
    assert target.read_bytes().startswith(b"<?xml") and "exported=1 invalid=0" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no issued invoice"):
        call_command(
            "export_einvoice", "RE-1999-1", cooperative="smart-demo", fmt="pdf", output=str(target)
        )
    with pytest.raises(CommandError, match="unknown cooperative"):
        call_command(
            "export_einvoice", "--all", cooperative="nope", fmt="pdf", output=str(tmp_path)
        )
    with pytest.raises(CommandError, match="either"):
        call_command("export_einvoice", cooperative="smart-demo", fmt="pdf", output=str(tmp_path))
