"""Fees and guarantee contributions on a member's net revenue (pure, no database).

Rounding happens at one stated point: each amount is rounded half-up to the cent when it is
computed for one invoice (domain-de.md T8: 9 % of 3,187.50 = 286.875 → 286.88).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class FeeTerms:
    percentage: Decimal
    guarantee_percentage: Decimal = ZERO
    floor_amount: Decimal | None = None
    floor_per_invoice: bool = True
    cap_per_year: Decimal | None = None


@dataclass(frozen=True)
class Split:
    net: Decimal
    fee: Decimal
    guarantee: Decimal

    @property
    def budget(self) -> Decimal:
        return self.net - self.fee - self.guarantee


def split_revenue(
    net: Decimal,
    terms: FeeTerms,
    *,
    fees_this_year: Decimal = ZERO,
    net_before: Decimal = ZERO,
    fee_before: Decimal = ZERO,
) -> Split:
    """Fee and guarantee contribution on one invoice's net amount.

    A per-invoice floor raises the fee to the minimum; the yearly cap limits the fee to what is
    left of it; the fee never exceeds the net amount (a small invoice cannot make the budget go
    below zero because of the floor). Cancellations are no negative splits: they reverse the
    original postings, so exactly the fee that was charged comes back.

    An invoice paid in parts: `net_before` and `fee_before` are what earlier payments of the same
    invoice carried and were charged. The fee is the invoice's fee on everything paid so far less
    what was charged, so the parts add up to the fee of one full payment (the minimum is
    charged once per invoice, the percentage rounded once on the total).
    """
    if net < 0:
        raise ValueError("split_revenue needs a net amount of zero or more")
    fee = quantize((net_before + net) * terms.percentage / 100)
    if terms.floor_amount is not None and terms.floor_per_invoice:
        fee = max(fee, terms.floor_amount)
    fee = max(ZERO, fee - fee_before)
    if terms.cap_per_year is not None:
        fee = min(fee, max(ZERO, terms.cap_per_year - fees_this_year))
    guarantee = quantize(net * terms.guarantee_percentage / 100)
    fee = min(fee, net - guarantee)
    return Split(net=net, fee=fee, guarantee=guarantee)


def monthly_floor_top_up(
    terms: FeeTerms, *, fees_this_month: Decimal, fees_this_year: Decimal, had_revenue: bool
) -> Decimal:
    """The top-up that brings a month's fees to the monthly minimum (within the yearly cap).
    Months without revenue owe nothing."""
    if terms.floor_amount is None or terms.floor_per_invoice or not had_revenue:
        return ZERO
    top_up = max(ZERO, terms.floor_amount - fees_this_month)
    if terms.cap_per_year is not None:
        top_up = min(top_up, max(ZERO, terms.cap_per_year - fees_this_year))
    return top_up
