"""`python manage.py export_lodas --cooperative SLUG --month YYYY-MM --output FILE`: the approved
month's payroll inputs as a DATEV LODAS ASCII import file (Windows-1252, CRLF)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from payroll import handoff
from payroll.management.commands._month import month_arg, run_of
from payroll.services import payroll_settings
from tenancy.scope import tenant_scope


class Command(BaseCommand):
    help = "Write the approved month's payroll inputs for DATEV LODAS."

    def add_arguments(self, parser):
        parser.add_argument("--cooperative", required=True, help="short name (slug)")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, *args, cooperative, month, output, **options):
        coop, run = run_of(cooperative, month_arg(month))
        try:
            with tenant_scope(coop):
                content = handoff.lodas_export(run=run, settings=payroll_settings(cooperative=coop))
        except ApplicationError as exc:
            raise CommandError(f"{coop.slug}: {exc.message}") from exc
        Path(output).write_bytes(content)
        records = content.split(b"[Bewegungsdaten]", 1)[1].strip().count(b"\r\n") + 1
        self.stdout.write(f"records={records} bytes={len(content)} file={output}")
