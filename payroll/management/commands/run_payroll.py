"""`python manage.py run_payroll --cooperative SLUG --month YYYY-MM`: compute the month's draft
run (or finish an interrupted one); ends with one line
`lines=N gross=X net=X employer_cost=X warnings=N`. Running it again changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from payroll.management.commands._month import cooperative_of, month_arg
from payroll.services import payroll_run_compute


class Command(BaseCommand):
    help = "Compute the month's payroll run as a draft (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--cooperative", required=True, help="short name (slug)")
        parser.add_argument("--month", required=True, help="the payroll month, YYYY-MM")

    def handle(self, *args, cooperative, month, **options):
        first = month_arg(month)
        coop = cooperative_of(cooperative)
        try:
            # Not inside a scope: the service commits chunk by chunk (crash-safe, R10).
            _run, summary = payroll_run_compute(cooperative=coop, month=first)
        except ApplicationError as exc:
            raise CommandError(f"{coop.slug}: {exc.message}") from exc
        self.stdout.write(summary.line())
