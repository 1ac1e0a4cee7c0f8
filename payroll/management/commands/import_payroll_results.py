"""`python manage.py import_payroll_results FILE --cooperative SLUG --month YYYY-MM --user EMAIL`:
the certified payroll results (CSV: personnel number, gross, taxes, net, employer cost) of an
approved month; differences are posted to the budgets. Ends with one line
`rows=N imported=N unchanged=N differences=N total_difference=X missing=N`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payroll import handoff
from payroll.management.commands._month import month_arg, run_of
from tenancy.models import Membership, Role, User
from tenancy.scope import tenant_scope


class Command(BaseCommand):
    help = "Import the certified payroll results of an approved month."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--cooperative", required=True, help="short name (slug)")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--user", required=True, help="e-mail of the staff member importing")

    def handle(self, *args, file, cooperative, month, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        actor = User.objects.filter(email__iexact=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"unknown user {user!r}")
        coop, run = run_of(cooperative, month_arg(month))
        with tenant_scope(coop):
            is_staff = Membership.objects.filter(
                user=actor, role=Role.STAFF, is_active=True
            ).exists()
        if not is_staff:
            raise CommandError(f"{user} is not staff of {coop.slug}")
        try:
            with tenant_scope(coop):
                summary = handoff.certified_results_import(
                    run=run, content=path.read_bytes(), name=path.name, actor=actor
                )
        except handoff.CertifiedFileError as exc:
            details = "".join(f"\n  {problem}" for problem in exc.problems)
            raise CommandError(f"{coop.slug}: {exc.message}{details}") from exc
        except handoff.ApplicationError as exc:
            raise CommandError(f"{coop.slug}: {exc.message}") from exc
        for name in summary.missing:
            self.stderr.write(f"no certified result yet: {name}")
        self.stdout.write(summary.line())
