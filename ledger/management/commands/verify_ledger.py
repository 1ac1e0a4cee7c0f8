"""`python manage.py verify_ledger [--cooperative SLUG]`: every transaction balances, every
account balance equals its entries, the hash chain is intact. Exits 1 and names the first
broken item otherwise."""

from django.core.management.base import BaseCommand, CommandError

from ledger.verify import verify
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope


class Command(BaseCommand):
    help = "Check the ledger of one or all cooperatives."

    def add_arguments(self, parser):
        parser.add_argument("--cooperative", help="short name (slug); default: all")

    def handle(self, *args, cooperative=None, **options):
        cooperatives = Cooperative.objects.order_by("slug")
        if cooperative:
            cooperatives = cooperatives.filter(slug=cooperative)
            if not cooperatives.exists():
                raise CommandError(f"unknown cooperative {cooperative!r}")
        broken = False
        for coop in cooperatives:
            with tenant_scope(coop):
                problems = verify(cooperative=coop)
            if problems:
                broken = True
                self.stderr.write(f"{coop.slug}: FIRST PROBLEM: {problems[0]}")
                for problem in problems[1:]:
                    self.stderr.write(f"{coop.slug}: {problem}")
            else:
                self.stdout.write(f"{coop.slug}: ledger intact")
        if broken:
            raise SystemExit(1)
