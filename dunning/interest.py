"""Statutory default interest (§ 288 BGB) — pure.

Rate = base rate (§ 247 BGB, changes on 1 January and 1 July) + 5 points with a consumer, + 9
points between businesses. Interest runs from the first day of default up to the day before
payment (or the calculation date), actual days / 365, each base-rate period separately; the sum
is rounded half-up to the cent once, at the end (domain-de.md §3, vectors I1–I3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SURCHARGE_CONSUMER = Decimal("5")
SURCHARGE_BUSINESS = Decimal("9")


@dataclass(frozen=True)
class Period:
    start: date  # first day with interest
    end: date  # last day with interest
    days: int
    rate: Decimal  # percent p.a. (base + surcharge)
    amount: Decimal  # unrounded


def default_interest(
    *,
    principal: Decimal,
    default_from: date,
    until: date,
    base_rates: list[tuple[date, Decimal]],
    consumer: bool,
) -> tuple[Decimal, list[Period]]:
    """Interest on `principal` for the days default_from … until − 1 day.

    `base_rates` are (valid from, rate) pairs; the one in force on a day is the latest whose
    date is not after it. A day without a known base rate raises: a rate must be configured,
    never guessed.
    """
    if not isinstance(principal, Decimal):
        raise TypeError("principal must be Decimal")
    if until <= default_from or principal <= 0:
        return Decimal("0.00"), []
    surcharge = SURCHARGE_CONSUMER if consumer else SURCHARGE_BUSINESS
    table = sorted(base_rates)
    if not table or table[0][0] > default_from:
        raise LookupError(f"no base rate in force on {default_from}")
    periods = []
    day = default_from
    last = until - timedelta(days=1)
    while day <= last:
        current = [r for r in table if r[0] <= day][-1]
        following = [r[0] for r in table if r[0] > day]
        end = min(last, following[0] - timedelta(days=1)) if following else last
        days = (end - day).days + 1
        rate = current[1] + surcharge
        periods.append(
            Period(
                start=day,
                end=end,
                days=days,
                rate=rate,
                amount=principal * rate / 100 * days / 365,
            )
        )
        day = end + timedelta(days=1)
    # Exact: principal × rate × days has at most four decimals; one division, one rounding.
    exact = sum((principal * p.rate * p.days for p in periods), Decimal("0")) / 36500
    total = exact.quantize(CENT, rounding=ROUND_HALF_UP)
    return total, periods
