"""`python manage.py run_payroll --cooperative SLUG --month YYYY-MM`: compute the month's draft
run (or finish an interrupted one); ends with one line
`lines=N gross=X net=X employer_cost=X warnings=N`. Running it again changes nothing."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from payroll.services import payroll_run_compute
from tenancy.models import Cooperative


class Command(BaseCommand):
    help = "Compute the month's payroll run as a draft (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--cooperative", required=True, help="short name (slug)")
        parser.add_argument("--month", required=True, help="the payroll month, YYYY-MM")

    def handle(self, *args, cooperative, month, **options):
        try:
            year, number = (int(part) for part in month.split("-"))
            first = date(year, number, 1)
        except ValueError as exc:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}") from exc
        coop = Cooperative.objects.filter(slug=cooperative, is_active=True).first()
        if coop is None:
            raise CommandError(f"unknown cooperative {cooperative!r}")
        try:
            # Not inside a scope: the service commits chunk by chunk (crash-safe, R10).
            _run, summary = payroll_run_compute(cooperative=coop, month=first)
        except ApplicationError as exc:
            raise CommandError(f"{coop.slug}: {exc.message}") from exc
        self.stdout.write(summary.line())
