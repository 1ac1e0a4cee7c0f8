"""`python manage.py run_dunning [--cooperative SLUG] [--date YYYY-MM-DD]`: the daily run, for
one or all active cooperatives; ends with one line `reminders_created=N escalations=N`."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.exceptions import ApplicationError
from dunning.services import RunResult, dunning_run
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope


class Command(BaseCommand):
    help = "Send the reminders that are due (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--cooperative", help="short name (slug); default: all active")
        parser.add_argument("--date", help="run as of this day (YYYY-MM-DD); default: today")

    def handle(self, *args, cooperative=None, date=None, **options):
        try:
            on = _date(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        cooperatives = Cooperative.objects.filter(is_active=True).order_by("slug")
        if cooperative:
            cooperatives = cooperatives.filter(slug=cooperative)
            if not cooperatives.exists():
                raise CommandError(f"unknown cooperative {cooperative!r}")
        total = RunResult()
        for coop in cooperatives:
            try:
                with tenant_scope(coop):
                    result = dunning_run(cooperative=coop, on=on)
            except ApplicationError as exc:
                raise CommandError(f"{coop.slug}: {exc.message}") from exc
            total.reminders_created += result.reminders_created
            total.escalations += result.escalations
        self.stdout.write(total.line())


def _date(value: str) -> date:
    return date.fromisoformat(value)
