"""`python manage.py payroll_calc --gross 2500.00 --tax-class 1 [--kv-zusatz 2.9] [--childless]
[--pv-children N] [--tax-children 0.5] [--church-tax] [--state BE] [--json]`: one month's shadow
gross-to-net with the rates in force on --date (default today)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.exceptions import ApplicationError
from payroll.calculation import Employee, Levies, gross_to_net
from payroll.selectors import rates_on

STATES = {
    "BW",
    "BY",
    "BE",
    "BB",
    "HB",
    "HH",
    "HE",
    "MV",
    "NI",
    "NW",
    "RP",
    "SL",
    "SN",
    "ST",
    "SH",
    "TH",
}
FIELDS = [
    "gross",
    "wage_tax",
    "solidarity_surcharge",
    "church_tax",
    "employee_social_insurance",
    "net",
    "employer_social_insurance",
    "employer_cost",
]


def _decimal(name: str, raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation as exc:
        raise CommandError(f"{name} must be a number like 2500.00, not {raw!r}") from exc
    if not value.is_finite() or value < 0:
        raise CommandError(f"{name} must be zero or more, not {raw!r}")
    return value


class Command(BaseCommand):
    help = "Shadow gross-to-net for one month (social insurance, wage tax, employer cost)."

    def add_arguments(self, parser):
        parser.add_argument("--gross", required=True, help="monthly gross in euro, e.g. 2500.00")
        parser.add_argument("--tax-class", type=int, default=1, choices=range(1, 7))
        parser.add_argument(
            "--kv-zusatz", help="the insurer's additional rate in %% (default: average)"
        )
        parser.add_argument("--childless", action="store_true", help="care insurance surcharge")
        parser.add_argument("--pv-children", type=int, default=0, help="children under 25")
        parser.add_argument("--tax-children", default="0", help="child allowances, e.g. 0.5")
        parser.add_argument("--church-tax", action="store_true")
        parser.add_argument("--state", default="BE", help="federal state, e.g. BE, BY, SN")
        parser.add_argument("--u1", default="0", help="U1 rate in %% (employers with ≤ 30 staff)")
        parser.add_argument("--u2", default="0", help="U2 rate in %%")
        parser.add_argument("--accident", default="0", help="accident insurance rate in %%")
        parser.add_argument("--date", help="pay day YYYY-MM-DD (rates in force); default today")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        gross = _decimal("--gross", options["gross"])
        if gross != gross.quantize(Decimal("0.01")):
            raise CommandError("--gross has at most two decimals")
        state = options["state"].upper()
        if state not in STATES:
            raise CommandError(
                f"--state must be a German state code (BE, BY, SN, …), not {state!r}"
            )
        if options["pv_children"] < 0:
            raise CommandError("--pv-children must be zero or more")
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
        employee = Employee(
            tax_class=options["tax_class"],
            kv_additional=_decimal("--kv-zusatz", options["kv_zusatz"]),
            childless=options["childless"],
            pv_children=options["pv_children"],
            tax_children=_decimal("--tax-children", options["tax_children"]),
            church_tax=options["church_tax"],
            state=state,
        )
        levies = Levies(
            u1=_decimal("--u1", options["u1"]),
            u2=_decimal("--u2", options["u2"]),
            accident=_decimal("--accident", options["accident"]),
        )
        try:
            result = gross_to_net(gross, employee, rates_on(day=day), levies)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        values = {name: f"{getattr(result, name):.2f}" for name in FIELDS}
        if options["json"]:
            values["band"] = result.band
            self.stdout.write(json.dumps(values, indent=2))
            return
        width = max(len(name) for name in FIELDS)
        self.stdout.write(f"{'band':<{width}}  {result.band}")
        for name in FIELDS:
            self.stdout.write(f"{name:<{width}}  {values[name]:>10}")
