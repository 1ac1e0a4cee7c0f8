"""§ 288 BGB default interest: the domain vectors I1–I3, exact to the cent, and the rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunning.interest import default_interest

D = Decimal
RATES = [
    (date(2025, 1, 1), D("2.27")),
    (date(2025, 7, 1), D("1.27")),
    (date(2026, 1, 1), D("1.27")),
]


def test_i1_business_59_days():
    amount, periods = default_interest(
        principal=D("11900.00"),
        default_from=date(2026, 1, 16),
        until=date(2026, 3, 16),
        base_rates=RATES,
        consumer=False,
    )
    assert amount == D("197.55")
    assert sum(p.days for p in periods) == 59 and periods[0].rate == D("10.27")


def test_i2_consumer_30_days():
    amount, periods = default_interest(
        principal=D("595.00"),
        default_from=date(2026, 2, 1),
        until=date(2026, 3, 3),
        base_rates=RATES,
        consumer=True,
    )
    assert amount == D("3.07") and [p.days for p in periods] == [30]


def test_i3_rate_change_splits_the_period():
    amount, periods = default_interest(
        principal=D("5000.00"),
        default_from=date(2025, 6, 1),
        until=date(2025, 8, 1),
        base_rates=RATES,
        consumer=False,
    )
    assert amount == D("89.93")
    assert [(p.days, p.rate) for p in periods] == [(30, D("11.27")), (31, D("10.27"))]


def test_the_day_after_a_rate_change_uses_the_new_rate():
    _amount, periods = default_interest(
        principal=D("1000.00"),
        default_from=date(2025, 7, 1),
        until=date(2025, 7, 2),
        base_rates=RATES,
        consumer=False,
    )
    assert [(p.start, p.rate) for p in periods] == [(date(2025, 7, 1), D("10.27"))]


def test_no_interest_before_default_and_no_rate_is_never_guessed():
    assert default_interest(
        principal=D("100.00"),
        default_from=date(2026, 5, 1),
        until=date(2026, 5, 1),
        base_rates=RATES,
        consumer=True,
    ) == (D("0.00"), [])
    with pytest.raises(LookupError):
        default_interest(
            principal=D("100.00"),
            default_from=date(2024, 12, 1),
            until=date(2025, 1, 5),
            base_rates=RATES,
            consumer=True,
        )
    with pytest.raises(TypeError):
        default_interest(
            principal=100.0,
            default_from=date(2026, 1, 1),
            until=date(2026, 2, 1),
            base_rates=RATES,
            consumer=True,
        )
