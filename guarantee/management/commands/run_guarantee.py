"""`python manage.py run_guarantee [--cooperative SLUG] [--date YYYY-MM-DD]`: advance covered,
unpaid invoices (also a daily beat task); ends with one line `advances=N`."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from guarantee.services import advances_run
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope


class Command(BaseCommand):
    help = "Advance covered invoices that are still unpaid (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--cooperative", help="short name (slug); default: all active")
        parser.add_argument("--date", help="run as of this day (YYYY-MM-DD); default: today")

    def handle(self, *args, cooperative=None, date=None, **options):
        try:
            on = _parse(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        cooperatives = Cooperative.objects.filter(is_active=True).order_by("slug")
        if cooperative:
            cooperatives = cooperatives.filter(slug=cooperative)
            if not cooperatives.exists():
                raise CommandError(f"unknown cooperative {cooperative!r}")
        total = 0
        for coop in cooperatives:
            with tenant_scope(coop):
                total += advances_run(cooperative=coop, on=on)
        self.stdout.write(f"advances={total}")


def _parse(value: str) -> date:
    return date.fromisoformat(value)
