"""Reads of the dated payroll tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from payroll import pap
from payroll.calculation import Rates
from payroll.models import ContributionRates, MinimumWage


def rates_on(*, day: date) -> Rates:
    """The contribution rates in force on `day` (for the wage tax of `day`'s year)."""
    row = ContributionRates.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
    if row is None or row.valid_from.year != day.year:
        # Limits change every 1 January; last year's row must not be used silently.
        raise ApplicationError(
            _(
                "No contribution rates for %(year)s yet; the operator adds them in the "
                "administration."
            )
            % {"year": day.year},
            code="no_rates",
        )
    try:
        pap.program(day.year)
    except LookupError as exc:
        raise ApplicationError(
            _("The wage tax programme (BMF PAP) for %(year)s is not installed yet.")
            % {"year": day.year},
            code="no_pap",
        ) from exc
    return Rates(
        year=day.year,
        church_tax_reduced_states=frozenset(
            s.strip().upper() for s in row.church_tax_reduced_states.split(",") if s.strip()
        ),
        **{
            name: getattr(row, name)
            for name in Rates.__dataclass_fields__
            if name not in ("year", "church_tax_reduced_states")
        },
    )


def minimum_wage_on(*, day: date) -> Decimal:
    row = MinimumWage.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
    if row is None:
        raise ApplicationError(
            _("No minimum wage is recorded for %(day)s.") % {"day": day.isoformat()},
            code="no_minimum_wage",
        )
    return row.hourly
