"""`python manage.py import_bank_statement FILE --cooperative SLUG`: camt.053, camt.054 or MT940.
Ends with one line `imported=N duplicates=N matched=N unmatched=N`; a bad file exits 1 with
the reason."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from banking import parsers, services
from core.exceptions import ApplicationError
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope


class Command(BaseCommand):
    help = "Import a bank statement file and match its incoming payments."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--cooperative", required=True, help="short name (slug)")

    def handle(self, *args, file: str, cooperative: str, **options):
        coop = Cooperative.objects.filter(slug=cooperative).first()
        if coop is None:
            raise CommandError(f"unknown cooperative {cooperative!r}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        if path.stat().st_size > parsers.MAX_BYTES:
            raise CommandError(f"{file} is larger than {parsers.MAX_BYTES // 2**20} MB")
        try:
            with tenant_scope(coop):
                result = services.statement_import(
                    cooperative=coop, content=path.read_bytes(), file_name=path.name, actor=None
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(result.line())
