"""`python manage.py export_datev --cooperative SLUG --from YYYY-MM-DD --to YYYY-MM-DD --output
DIR`: the DATEV package of the period (Buchungsstapel, debtor master data, reconciliation).
Ends with one line `bookings=N files=N debtors=N differences=N`; exits 1 when the export does
not reconcile with the ledger."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from reports import datev_export, services
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--{name} must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = "Write the DATEV export of a period into a directory."

    def add_arguments(self, parser):
        parser.add_argument("--cooperative", required=True, help="short name (slug)")
        parser.add_argument("--from", dest="date_from", required=True, help="first day")
        parser.add_argument("--to", dest="date_to", required=True, help="last day")
        parser.add_argument("--output", required=True, help="directory for the files")

    def handle(self, *args, cooperative, date_from, date_to, output, **options):
        start, end = _day("from", date_from), _day("to", date_to)
        coop = Cooperative.objects.filter(slug=cooperative).first()
        if coop is None:
            raise CommandError(f"unknown cooperative {cooperative!r}")
        try:
            with tenant_scope(coop):  # committed before the long read
                datev_export.debtors_assign(cooperative=coop)
            with tenant_scope(coop):
                package = services.datev_package_write(
                    cooperative=coop,
                    date_from=start,
                    date_to=end,
                    exported_by="export_datev",
                    directory=Path(output),
                )
        except ApplicationError as exc:
            raise CommandError(f"{coop.slug}: {exc.message}") from exc
        for name in package.files:
            self.stdout.write(str(Path(output) / name))
        self.stdout.write(
            f"bookings={package.bookings} files={len(package.files)} "
            f"debtors={package.debtors} differences={package.differences}"
        )
        if package.differences:
            raise SystemExit(1)
