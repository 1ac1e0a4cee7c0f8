"""`python manage.py export_einvoice (NUMBER | --all) --cooperative SLUG --format
zugferd|xrechnung-cii|xrechnung-ubl|pdf --output FILE_OR_DIR` — for archives, tax audits and
support. Writes the stored documents (rendering them the first time), checks every XML
against EN 16931 (and the XRechnung rules for XRechnung) and ends with one line
`exported=N invalid=N`; exits 1 if any document failed the checks."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from facturx import get_xml_from_pdf

from invoicing import documents
from invoicing.einvoice.validate import fatal, validate
from invoicing.models import Invoice, InvoiceDocument
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope


class Command(BaseCommand):
    help = "Export issued invoices as PDF, ZUGFeRD or XRechnung (CII/UBL)."

    def add_arguments(self, parser):
        parser.add_argument("number", nargs="?", help="invoice number, e.g. RE-2026-00042")
        parser.add_argument("--all", action="store_true", help="every issued invoice")
        parser.add_argument("--cooperative", required=True, help="short name (slug)")
        parser.add_argument(
            "--format", required=True, choices=InvoiceDocument.Format.values, dest="fmt"
        )
        parser.add_argument("--output", required=True, help="file (one invoice) or directory")

    def handle(self, *args, number=None, all=False, cooperative, fmt, output, **options):
        if bool(number) == bool(all):
            raise CommandError("give either an invoice NUMBER or --all")
        coop = Cooperative.objects.filter(slug=cooperative).first()
        if coop is None:
            raise CommandError(f"unknown cooperative {cooperative!r}")
        target = Path(output)
        exported = invalid = 0
        with tenant_scope(coop):
            invoices = Invoice.objects.filter(status=Invoice.Status.ISSUED).order_by(
                "year", "number"
            )
            if number:
                invoices = invoices.filter(number_text=number)
                if not invoices.exists():
                    raise CommandError(f"no issued invoice {number!r} in {cooperative}")
            if all or target.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif not target.parent.is_dir():
                raise CommandError(f"directory {target.parent} does not exist")
            for invoice in invoices.iterator(chunk_size=200):
                try:
                    stored = documents.invoice_document(invoice=invoice, fmt=fmt)
                except documents.EInvoiceInvalid as exc:
                    invalid += 1
                    self.stderr.write(exc.message)
                    continue
                content = bytes(stored.content)
                problems = self._check(content, fmt)
                if problems:
                    invalid += 1
                    for problem in problems[:20]:
                        self.stderr.write(
                            f"{invoice.number_text}: {problem.rule}: {problem.message}"
                        )
                path = target / documents.filename(invoice, fmt) if target.is_dir() else target
                path.write_bytes(content)
                exported += 1
        self.stdout.write(f"exported={exported} invalid={invalid}")
        if invalid:
            raise SystemExit(1)

    @staticmethod
    def _check(content: bytes, fmt: str):
        if fmt not in documents.CHECKS:
            return []
        syntax, xrechnung, _profile = documents.CHECKS[fmt]
        xml = get_xml_from_pdf(content, check_xsd=False)[1] if fmt == "zugferd" else content
        return fatal(validate(xml, syntax=syntax, xrechnung=xrechnung))
