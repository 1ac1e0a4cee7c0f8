"""The budget chart: the available budget at the end of each of the last twelve months, read
off the statement's running balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from ledger.selectors import Statement, StatementRow, budget_by_month


def _row(day: date, balance: str) -> StatementRow:
    return StatementRow(sequence=0, booking_date=day, description="", source="", balance=D(balance))


def test_month_end_balances_carry_over_months_without_bookings():
    statement = Statement(member=None)
    statement.rows = [
        _row(date(2025, 6, 3), "100.00"),  # before the window: carried into it
        _row(date(2026, 1, 15), "250.00"),
        _row(date(2026, 1, 31), "200.00"),
        _row(date(2026, 4, 1), "-20.00"),
        _row(date(2026, 11, 21), "900.00"),
    ]
    months = budget_by_month(statement, today=date(2026, 11, 22))
    assert [m for m, _b in months][:2] == [date(2025, 12, 1), date(2026, 1, 1)]
    assert months[-1] == (date(2026, 11, 1), D("900.00"))
    assert dict(months)[date(2025, 12, 1)] == D("100.00")
    assert dict(months)[date(2026, 1, 1)] == D("200.00")
    assert dict(months)[date(2026, 3, 1)] == D("200.00")
    assert dict(months)[date(2026, 4, 1)] == D("-20.00")
    assert len(months) == 12
