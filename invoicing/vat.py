"""German VAT on an invoice's lines (pure; domain-de.md §1, EN 16931 BR-CO-17).

Rounding happens at two stated points only, half-up to the cent:
1. each line's net amount (quantity × unit price);
2. the VAT of each (category, rate) group, computed on the sum of that group's line nets —
   never by adding per-line VAT (T2: 7 × 2.15 @ 19 % gives 2.86, not 2.87).
A cancellation is the same calculation with negated quantities (T7).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SMALL_AMOUNT_LIMIT = Decimal("250.00")  # § 33 UStDV, gross

# EN 16931 VAT category codes and the rate each allows.
STANDARD, ZERO_RATED_REVERSE_CHARGE, NOT_SUBJECT, EXEMPT = "S", "AE", "O", "E"
RATES = {Decimal("19"), Decimal("7")}


def half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    category: str  # S, AE, O, E
    rate: Decimal  # 19 or 7 for S; 0 otherwise


@dataclass(frozen=True)
class VatGroup:
    category: str
    rate: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    line_nets: tuple[Decimal, ...]
    groups: tuple[VatGroup, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal

    @property
    def is_small_amount(self) -> bool:
        """§ 33 UStDV: a gross total up to 250 € allows the simplified invoice, but never for
        reverse charge or non-taxable cross-border services."""
        return ZERO < self.gross <= SMALL_AMOUNT_LIMIT and all(
            g.category in (STANDARD, EXEMPT) for g in self.groups
        )

    def vat_by_rate(self) -> dict[Decimal, Decimal]:
        """Output VAT per rate, as the ledger books it."""
        result: dict[Decimal, Decimal] = {}
        for group in self.groups:
            if group.category == STANDARD:
                result[group.rate] = result.get(group.rate, ZERO) + group.vat
        return result


def _check(line: LineInput) -> None:
    if line.category == STANDARD and line.rate not in RATES:
        raise ValueError(f"standard-rated lines need 19 or 7 %, got {line.rate}")
    if line.category in (ZERO_RATED_REVERSE_CHARGE, NOT_SUBJECT, EXEMPT) and line.rate != 0:
        raise ValueError(f"category {line.category} carries no VAT rate")
    if line.category not in (STANDARD, ZERO_RATED_REVERSE_CHARGE, NOT_SUBJECT, EXEMPT):
        raise ValueError(f"unknown VAT category {line.category}")


def compute(lines: list[LineInput]) -> Totals:
    if not lines:
        raise ValueError("an invoice needs at least one line")
    nets = []
    grouped: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        _check(line)
        if not all(isinstance(v, Decimal) for v in (line.quantity, line.unit_price, line.rate)):
            raise TypeError("invoice amounts must be Decimal")
        net = half_up(line.quantity * line.unit_price)
        nets.append(net)
        key = (line.category, line.rate)
        grouped[key] = grouped.get(key, ZERO) + net
    groups = tuple(
        VatGroup(category=c, rate=r, net=n, vat=half_up(n * r / 100))
        for (c, r), n in sorted(grouped.items())
    )
    net_total = sum((g.net for g in groups), ZERO)
    vat_total = sum((g.vat for g in groups), ZERO)
    return Totals(
        line_nets=tuple(nets),
        groups=groups,
        net=net_total,
        vat=vat_total,
        gross=net_total + vat_total,
    )


def cancellation(lines: list[LineInput]) -> list[LineInput]:
    """The lines of a full cancellation (Storno): the same lines with negated quantities."""
    return [
        LineInput(
            quantity=-line.quantity,
            unit_price=line.unit_price,
            category=line.category,
            rate=line.rate,
        )
        for line in lines
    ]


def net_from_gross(gross: Decimal, rate: Decimal) -> Decimal:
    """For small-amount receipts stated gross (T5: 238.00 @ 19 % → 200.00 net)."""
    return half_up(gross * 100 / (100 + rate))
