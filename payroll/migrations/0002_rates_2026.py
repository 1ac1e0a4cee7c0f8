"""The 2026 values (domain-de.md §4: SV-Rechengrößenverordnung 2026, BMF PAP 2026, MiLoG);
the operator adds each new year's row in the administration."""

from datetime import date
from decimal import Decimal as D

from django.db import migrations

RATES_2026 = {
    "kv_rate": D("14.6"),
    "kv_average_additional": D("2.9"),
    "rv_rate": D("18.6"),
    "av_rate": D("2.6"),
    "pv_rate": D("3.6"),
    "pv_childless_surcharge": D("0.6"),
    "pv_child_reduction": D("0.25"),
    "pv_saxony_employer": D("1.3"),
    "u3_rate": D("0.15"),
    "bbg_kv_month": D("5812.50"),
    "bbg_rv_month": D("8450.00"),
    "minijob_limit": D("603.00"),
    "midijob_upper": D("2000.00"),
    "midijob_factor": D("0.6619"),
    "minijob_employer_kv": D("13"),
    "minijob_employer_rv": D("15"),
    "minijob_flat_tax": D("2"),
    "church_tax_rate": D("9"),
    "church_tax_reduced_rate": D("8"),
    "church_tax_reduced_states": "BY,BW",
    "source": "SV-Rechengrößenverordnung 2026 (BGBl. 2025 I Nr. 278); BMF PAP 2026; § 20 Abs. 2a SGB IV",
}
MINIMUM_WAGES = [
    (date(2026, 1, 1), D("13.90"), "Fünfte Mindestlohnanpassungsverordnung"),
    (date(2027, 1, 1), D("14.60"), "Fünfte Mindestlohnanpassungsverordnung"),
]


def add(apps, schema_editor):
    alias = schema_editor.connection.alias
    rates = apps.get_model("payroll", "ContributionRates")
    rates.objects.using(alias).get_or_create(valid_from=date(2026, 1, 1), defaults=RATES_2026)
    wages = apps.get_model("payroll", "MinimumWage")
    for valid_from, hourly, source in MINIMUM_WAGES:
        wages.objects.using(alias).get_or_create(
            valid_from=valid_from, defaults={"hourly": hourly, "source": source}
        )


class Migration(migrations.Migration):
    dependencies = [("payroll", "0001_rates")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
