"""`python manage.py seed_scale [--members 100000] [--invoices 1000000] [--cooperative SLUG]
[--date YYYY-MM-DD]`: a new cooperative with that many members and a year of invoices, most
paid, matched and posted (see ops/scale.py). Ends with one line
`cooperative=… members=N clients=N invoices=N paid=N overdue=N transactions=N seconds=S`,
then the logins of its staff, approver and accountant (and the first member)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ops.management.commands.seed_demo import DEMO_PASSWORD
from ops.scale import scale_cooperative_create, scale_seed
from tenancy.models import Cooperative


class Command(BaseCommand):
    help = "Build a cooperative at full scale (set-based SQL and COPY) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=100_000)
        parser.add_argument("--invoices", type=int, default=1_000_000)
        parser.add_argument("--cooperative", default="scale", help="slug of the new cooperative")
        parser.add_argument("--date", help="last day of the year of business (YYYY-MM-DD)")

    def handle(self, *args, members, invoices, cooperative, date=None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (DATABASE_URL, DATABASE_OWNER_URL)")
        if members < 1 or invoices < 1:
            raise CommandError("--members and --invoices must be at least 1")
        try:
            today = _date(date)
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        if Cooperative.objects.filter(slug=cooperative).exists():
            raise CommandError(
                f"cooperative {cooperative!r} exists already; choose another --cooperative"
            )
        coop, logins = scale_cooperative_create(slug=cooperative, password=DEMO_PASSWORD)

        def progress(day) -> None:
            if day.day == 1 and options.get("verbosity", 1) > 1:
                self.stderr.write(f"{day:%Y-%m} …")

        result = scale_seed(
            cooperative=coop,
            members=members,
            invoices=invoices,
            password=DEMO_PASSWORD,
            today=today,
            progress=progress,
        )
        self.stdout.write(f"cooperative={coop.slug} {result.line()}")
        for email, role in [*logins, (f"member1@{coop.slug}.scale.example", "member")]:
            self.stdout.write(f"login: {email} {DEMO_PASSWORD} {role} {coop.slug}")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
