"""The base rates (§ 247 BGB) known when this was written; the operator adds each new one in
the administration (1 January and 1 July). Values from domain-de.md §3 and the Bundesbank."""

from datetime import date
from decimal import Decimal

from django.db import migrations

RATES = [
    (date(2024, 1, 1), Decimal("3.62"), "Deutsche Bundesbank, BAnz 2023"),
    (date(2024, 7, 1), Decimal("3.37"), "Deutsche Bundesbank, BAnz 2024"),
    (date(2025, 1, 1), Decimal("2.27"), "Deutsche Bundesbank (domain-de.md: verify)"),
    (date(2025, 7, 1), Decimal("1.27"), "Deutsche Bundesbank"),
    (date(2026, 1, 1), Decimal("1.27"), "Deutsche Bundesbank, BAnz 24.12.2025"),
]


def add(apps, schema_editor):
    BaseRate = apps.get_model("dunning", "BaseRate")
    alias = schema_editor.connection.alias  # the owner runs migrations, not the app role
    for valid_from, rate, source in RATES:
        BaseRate.objects.using(alias).get_or_create(
            valid_from=valid_from, defaults={"rate": rate, "source": source}
        )


class Migration(migrations.Migration):
    dependencies = [("dunning", "0001_initial")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
