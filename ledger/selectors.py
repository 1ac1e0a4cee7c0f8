"""The member budget statement: every euro explained, with a running balance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch

from core.csvsafe import csv_bytes
from ledger.models import Account, AccountKind, Entry, Transaction
from members.models import Member

ZERO = Decimal("0.00")


@dataclass
class StatementRow:
    sequence: int
    booking_date: date
    description: str
    source: str
    gross: Decimal = ZERO
    vat: Decimal = ZERO
    fee: Decimal = ZERO
    guarantee: Decimal = ZERO
    pending: Decimal = ZERO  # change of invoiced-unpaid net revenue
    budget: Decimal = ZERO  # change of the available budget
    balance: Decimal = ZERO  # budget after this row


@dataclass
class Statement:
    member: Member
    rows: list[StatementRow] = field(default_factory=list)
    invoiced_unpaid: Decimal = ZERO
    paid_in: Decimal = ZERO
    paid_out: Decimal = ZERO
    available: Decimal = ZERO
    planned: Decimal | None = None  # from confirmed jobs, once invoicing exists


def budget_statement(*, member: Member) -> Statement:
    """One query for the transactions, one for their entries (prefetched)."""
    accounts = {a.kind: a for a in Account.objects.filter(member=member)}
    statement = Statement(member=member)
    if not accounts:
        return statement
    account_ids = [a.pk for a in accounts.values()]
    transactions = (
        Transaction.objects.filter(entries__account_id__in=account_ids)
        .distinct()
        .order_by("booking_date", "sequence")
        .prefetch_related(Prefetch("entries", queryset=Entry.objects.select_related("account")))
    )
    balance = ZERO
    for tx in transactions:
        row = StatementRow(
            sequence=tx.sequence,
            booking_date=tx.booking_date,
            description=tx.description,
            source=tx.get_source_type_display(),
        )
        for entry in tx.entries.all():
            kind, amount = entry.account.kind, entry.amount
            if kind in (AccountKind.RECEIVABLES, AccountKind.BANK) and amount > 0:
                row.gross += amount
            elif kind in (AccountKind.OUTPUT_VAT_19, AccountKind.OUTPUT_VAT_7):
                row.vat -= amount
            elif kind == AccountKind.FEE_INCOME:
                row.fee -= amount
            elif kind == AccountKind.GUARANTEE_FUND:
                row.guarantee -= amount
            elif entry.account.member_id == member.pk and kind == AccountKind.MEMBER_PENDING:
                row.pending -= amount
            elif entry.account.member_id == member.pk and kind == AccountKind.MEMBER_BUDGET:
                row.budget -= amount
        balance += row.budget
        row.balance = balance
        statement.rows.append(row)
        if row.budget > 0:
            statement.paid_in += row.budget
        else:
            statement.paid_out -= row.budget
    statement.available = balance
    pending = accounts.get(AccountKind.MEMBER_PENDING)
    statement.invoiced_unpaid = pending.display_balance if pending else ZERO
    return statement


def budget_by_month(statement: Statement, *, today: date, months: int = 12) -> list[tuple]:
    """(month, available budget at its end) for the last `months` months up to `today`, read
    off the statement's running balance (the budget chart)."""
    year, month = today.year, today.month - months + 1
    while month < 1:
        year, month = year - 1, month + 12
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    result, balance, rows = [], ZERO, iter(statement.rows)
    row = next(rows, None)
    for index, start in enumerate(starts):
        following = starts[index + 1] if index + 1 < len(starts) else None
        while row is not None and (following is None or row.booking_date < following):
            balance = row.balance
            row = next(rows, None)
        result.append((start, balance))
    return result


def budget_statement_csv(statement: Statement, headers: list[str]) -> bytes:
    return csv_bytes(
        headers,
        (
            [
                r.booking_date,
                r.sequence,
                r.description,
                r.source,
                r.gross,
                r.vat,
                r.fee,
                r.guarantee,
                r.pending,
                r.budget,
                r.balance,
            ]
            for r in statement.rows
        ),
    )
