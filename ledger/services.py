"""Posting services: the only way money moves in the ledger.

Later features call these and nothing else:

- `ledger_post(...)` — a balanced transaction of two or more lines; idempotent by key.
- `ledger_reverse(...)` — the correction of a posted transaction.
- `revenue_post_issue(...)` (`revenue_post_issue_many` for a batch) / `revenue_post_payment(...)`
  — an invoice's money flow to the member's budget (receivable, VAT, fee, guarantee
  contribution, budget).
- `share_payment_post(...)`, `fees_post_monthly_floor(...)`, `period_lock(...)`.

Every posting is checked (balanced, at least two lines, no zero line, not in a locked month,
same cooperative), numbered and hash-chained under a lock on the cooperative's chain head, and
updates the account balances in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from ledger import fees
from ledger.models import (
    ACCOUNT_DEFAULTS,
    MEMBER_KINDS,
    Account,
    AccountKind,
    ChainHead,
    Entry,
    FeeRule,
    LedgerSettings,
    PeriodLock,
    SourceType,
    Transaction,
)
from members.models import Member
from tenancy.models import Cooperative, User

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    account: Account
    amount: Decimal  # debit positive, credit negative
    text: str = ""


# --- Accounts --------------------------------------------------------------------------------


def accounts_ensure(*, cooperative: Cooperative) -> dict[str, Account]:
    """The cooperative's system accounts, created with default SKR numbers on first use."""
    LedgerSettings.objects.get_or_create(cooperative=cooperative)
    existing = {a.kind: a for a in Account.objects.filter(member__isnull=True)}
    for kind, (nature, skr03, skr04) in ACCOUNT_DEFAULTS.items():
        if kind in MEMBER_KINDS or kind in existing:
            continue
        existing[kind], _created = Account.objects.get_or_create(
            cooperative=cooperative,
            kind=kind,
            member=None,
            defaults={
                "nature": nature,
                "name": str(AccountKind(kind).label),
                "skr03": skr03,
                "skr04": skr04,
            },
        )
    return existing


def account_system(*, cooperative: Cooperative, kind: str) -> Account:
    found = Account.objects.filter(cooperative=cooperative, member__isnull=True, kind=kind).first()
    return found if found is not None else accounts_ensure(cooperative=cooperative)[kind]


def account_member(*, member: Member, kind: str = AccountKind.MEMBER_BUDGET) -> Account:
    """A member's budget (or pending-revenue) account, created on first use."""
    if kind not in MEMBER_KINDS:
        raise ValueError(f"{kind} is not a member account kind")
    account, _created = Account.objects.get_or_create(
        cooperative_id=member.cooperative_id,
        member=member,
        kind=kind,
        defaults={
            "nature": ACCOUNT_DEFAULTS[kind][0],
            "name": f"{AccountKind(kind).label}: {member.full_name}",
        },
    )
    return account


# --- Posting ---------------------------------------------------------------------------------


def _add_to_balances(totals: list[tuple[int, Decimal]]) -> None:
    """One statement for all accounts of a posting. Every posting of a cooperative holds its
    chain-head lock, so two postings never lock the same accounts in different orders."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        for account_id, amount in totals:
            Account.objects.filter(pk=account_id).update(balance=F("balance") + amount)
        return
    values = ", ".join(["(%s::bigint, %s::numeric)"] * len(totals))
    params = [item for pair in totals for item in pair]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Account._meta.db_table} AS a SET balance = a.balance + v.amount "  # noqa: S608
            f"FROM (VALUES {values}) AS v(id, amount) WHERE a.id = v.id",
            params,
        )


def canonical_text(
    *,
    cooperative_id: int,
    sequence: int,
    booking_date: date,
    description: str,
    source_type: str,
    source_id: str,
    reverses_id: int | None,
    actor_id: int | None,
    entries: list[tuple[int, Decimal, str]],
) -> str:
    """What a transaction's hash covers; `entries` are (account id, amount, text)."""
    payload = {
        "cooperative": cooperative_id,
        "sequence": sequence,
        "booking_date": booking_date.isoformat(),
        "description": description,
        "source": [source_type, source_id],
        "reverses": reverses_id,
        "actor": actor_id,
        "entries": sorted(
            [account_id, str(amount.quantize(CENT)), text] for account_id, amount, text in entries
        ),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def transaction_canonical(tx: Transaction, entries: list[tuple[int, Decimal, str]]) -> str:
    """`canonical_text` of a stored or new transaction and its (account id, amount, text)."""
    return canonical_text(
        cooperative_id=tx.cooperative_id,
        sequence=tx.sequence,
        booking_date=tx.booking_date,
        description=tx.description,
        source_type=tx.source_type,
        source_id=tx.source_id,
        reverses_id=tx.reverses_id,
        actor_id=tx.actor_id,
        entries=entries,
    )


def _canonical(tx: Transaction, lines: list[Line]) -> str:
    return transaction_canonical(tx, [(line.account.pk, line.amount, line.text) for line in lines])


def transaction_hash(*, previous_hash: str, tx: Transaction, lines: list[Line]) -> str:
    """SHA-256 over the previous hash and the transaction's content (the chain link)."""
    return hashlib.sha256((previous_hash + _canonical(tx, lines)).encode()).hexdigest()


def _check_lines(lines: list[Line], cooperative_id: int) -> list[Line]:
    if len(lines) < 2:
        raise ApplicationError(_("A transaction needs at least two entries."), code="too_few_lines")
    for line in lines:
        if not isinstance(line.amount, Decimal):
            raise TypeError("ledger amounts must be Decimal")
        if line.amount == 0:
            raise ApplicationError(_("An entry cannot be zero."), code="zero_line")
        if line.amount != line.amount.quantize(CENT):
            raise ApplicationError(_("Amounts are in whole cents."), code="sub_cent")
        if line.account.cooperative_id != cooperative_id:
            raise ApplicationError(_("An account of another cooperative."), code="foreign_account")
    if sum((line.amount for line in lines), ZERO) != 0:
        raise ApplicationError(_("The entries do not balance."), code="unbalanced")
    # Stored with two places; hashed as stored, so verify_ledger recomputes the same hash.
    return [Line(line.account, line.amount.quantize(CENT), line.text[:120]) for line in lines]


def _lock_head(cooperative: Cooperative) -> ChainHead:
    """Serialise postings of one cooperative (numbering, chain, fee caps, period locks)."""
    head = ChainHead.objects.select_for_update().filter(cooperative=cooperative).first()
    if head is not None:
        return head
    ChainHead.objects.get_or_create(cooperative=cooperative)
    return ChainHead.objects.select_for_update().get(cooperative=cooperative)


def ledger_lock(*, cooperative: Cooperative) -> None:
    """Hold the cooperative's posting lock until the caller's transaction ends (for callers who
    must decide and post atomically, e.g. applying a payment)."""
    _lock_head(cooperative)


def period_is_locked(*, cooperative: Cooperative, on: date) -> bool:
    return PeriodLock.objects.filter(month=on.replace(day=1)).exists()


@dataclass
class Posting:
    """One transaction to post (see `ledger_post_many`)."""

    booking_date: date
    description: str
    source_type: str
    source_id: str
    lines: list[Line]
    idempotency_key: str | None = None
    reverses: Transaction | None = None


def _prepare(cooperative: Cooperative, posting: Posting) -> Posting:
    if not isinstance(posting.booking_date, date) or isinstance(posting.booking_date, datetime):
        raise TypeError("booking_date must be a date")
    lines = posting.lines
    lines = [line for line in lines if line.amount != 0] if len(lines) > 2 else lines
    posting.lines = _check_lines(lines, cooperative.pk)
    return posting


def _refuse_locked_periods(cooperative: Cooperative, postings: list[Posting]) -> None:
    """Checked under the chain-head lock: a month closed at this moment cannot receive a
    posting."""
    months = {p.booking_date.replace(day=1) for p in postings}
    locked = sorted(PeriodLock.objects.filter(month__in=months).values_list("month", flat=True))
    if locked:
        raise ApplicationError(
            _("The period %(month)s is locked; post in an open month.")
            % {"month": locked[0].strftime("%Y-%m")},
            code="period_locked",
        )


def _write(
    cooperative: Cooperative, head: ChainHead, postings: list[Posting], actor: User | None
) -> list[Transaction]:
    """Number, chain and insert checked postings (caller holds the head lock): one insert for
    the transactions, one for the entries, one balance update, one head update."""
    transactions, totals = [], {}
    sequence, previous = head.last_sequence, head.last_hash
    for posting in postings:
        sequence += 1
        tx = Transaction(
            cooperative=cooperative,
            sequence=sequence,
            booking_date=posting.booking_date,
            description=posting.description[:200],
            source_type=posting.source_type,
            source_id=str(posting.source_id)[:64],
            idempotency_key=posting.idempotency_key,
            actor=actor,
            reverses=posting.reverses,
            previous_hash=previous,
        )
        tx.hash = previous = transaction_hash(previous_hash=previous, tx=tx, lines=posting.lines)
        transactions.append(tx)
        for line in posting.lines:
            totals[line.account.pk] = totals.get(line.account.pk, ZERO) + line.amount
    Transaction.objects.bulk_create(transactions, batch_size=1000)
    Entry.objects.bulk_create(
        (
            Entry(
                cooperative=cooperative,
                transaction=tx,
                account=line.account,
                amount=line.amount,
                text=line.text[:120],
            )
            for tx, posting in zip(transactions, postings, strict=True)
            for line in posting.lines
        ),
        batch_size=2000,
    )
    _add_to_balances(sorted(totals.items()))
    head.last_sequence, head.last_hash = sequence, previous
    head.save(update_fields=["last_sequence", "last_hash"])
    return transactions


def ledger_post(
    *,
    cooperative: Cooperative,
    booking_date: date,
    description: str,
    source_type: str,
    source_id: str,
    lines: list[Line],
    actor: User | None,
    idempotency_key: str | None = None,
    reverses: Transaction | None = None,
) -> Transaction:
    """Post a balanced transaction. With an idempotency key, posting again returns the first."""
    posting = _prepare(
        cooperative,
        Posting(
            booking_date, description, source_type, source_id, lines, idempotency_key, reverses
        ),
    )
    with transaction.atomic():
        head = _lock_head(cooperative)
        _refuse_locked_periods(cooperative, [posting])
        if idempotency_key and Transaction.objects.filter(idempotency_key=idempotency_key).exists():
            return Transaction.objects.get(idempotency_key=idempotency_key)
        return _write(cooperative, head, [posting], actor)[0]


def ledger_post_many(
    *, cooperative: Cooperative, postings: list[Posting], actor: User | None
) -> list[Transaction]:
    """Post many balanced transactions at once (a statement's payments), each checked and
    chained exactly as `ledger_post` would, in a handful of queries. Postings whose
    idempotency key is already in the ledger (or earlier in the list) are skipped; the new
    transactions are returned in order."""
    postings = [_prepare(cooperative, p) for p in postings]
    if not postings:
        return []
    with transaction.atomic():
        head = _lock_head(cooperative)
        _refuse_locked_periods(cooperative, postings)
        keys = [p.idempotency_key for p in postings if p.idempotency_key]
        seen = set(
            Transaction.objects.filter(idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        fresh = []
        for posting in postings:
            if posting.idempotency_key:
                if posting.idempotency_key in seen:
                    continue
                seen.add(posting.idempotency_key)
            fresh.append(posting)
        return _write(cooperative, head, fresh, actor) if fresh else []


def ledger_reverse(
    *,
    transaction_to_reverse: Transaction,
    actor: User,
    reason: str,
    booking_date: date | None = None,
    correcting_document: bool = False,
) -> Transaction:
    """Correct a posted transaction with its mirror image (posted entries never change).

    An invoice's posting follows its document: it is reversed only together with a
    cancellation invoice (`correcting_document=True`), never on its own."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason."), code="reason_required")
    if transaction_to_reverse.source_type == SourceType.INVOICE and not correcting_document:
        raise ApplicationError(
            _("Invoice postings are corrected by cancelling the invoice or a credit note."),
            code="invoice_posting",
        )
    if hasattr(transaction_to_reverse, "reversed_by"):
        raise ApplicationError(_("This transaction has already been reversed."), code="reversed")
    lines = [
        Line(account=e.account, amount=-e.amount, text=e.text)
        for e in transaction_to_reverse.entries.select_related("account")
    ]
    return ledger_post(
        cooperative=transaction_to_reverse.cooperative,
        booking_date=booking_date or timezone.localdate(),
        description=_("Reversal of #%(n)d: %(reason)s")
        % {"n": transaction_to_reverse.sequence, "reason": reason},
        source_type=SourceType.REVERSAL,
        source_id=str(transaction_to_reverse.pk),
        lines=lines,
        actor=actor,
        idempotency_key=f"reversal:{transaction_to_reverse.pk}",
        reverses=transaction_to_reverse,
    )


# --- Fees ------------------------------------------------------------------------------------


def fee_rule_for(*, member: Member) -> FeeRule:
    rule = (
        FeeRule.objects.filter(category=member.fee_category).first()
        or FeeRule.objects.filter(category="").first()
    )
    if rule is None:
        raise ApplicationError(
            _("The cooperative has no fee rule yet; staff set one in the administration."),
            code="no_fee_rule",
        )
    return rule


def _terms(rule: FeeRule) -> fees.FeeTerms:
    return fees.FeeTerms(
        percentage=rule.percentage,
        guarantee_percentage=rule.guarantee_percentage,
        floor_amount=rule.floor_amount,
        floor_per_invoice=rule.floor_period == FeeRule.FloorPeriod.INVOICE,
        cap_per_year=rule.cap_per_year,
    )


def _fees_between(member: Member, start: date, end: date) -> Decimal:
    """Fees charged to a member in [start, end] (credit on fee income, member-sourced)."""
    fee_account = account_system(cooperative=member.cooperative, kind=AccountKind.FEE_INCOME)
    total = (
        Entry.objects.filter(
            account=fee_account,
            transaction__booking_date__range=(start, end),
            transaction__entries__account__member=member,
        )
        .distinct()
        .aggregate(total=Sum("amount"))["total"]
    )
    return -(total or ZERO)


def fees_this_year(*, member: Member, on: date) -> Decimal:
    return _fees_between(member, on.replace(month=1, day=1), on)


# --- Revenue of an invoice -------------------------------------------------------------------


def _vat_account(
    cooperative: Cooperative, rate: Decimal, accounts: dict[str, Account] | None = None
) -> Account:
    kinds = {Decimal("19"): AccountKind.OUTPUT_VAT_19, Decimal("7"): AccountKind.OUTPUT_VAT_7}
    if rate not in kinds:
        raise ApplicationError(_("No output VAT account for this rate."), code="vat_rate")
    if accounts is not None:
        return accounts[kinds[rate]]
    return account_system(cooperative=cooperative, kind=kinds[rate])


def _system_accounts(cooperative: Cooperative) -> dict[str, Account]:
    """All system accounts in one query (created on first use)."""
    found = {
        a.kind: a for a in Account.objects.filter(cooperative=cooperative, member__isnull=True)
    }
    if all(kind in found for kind in ACCOUNT_DEFAULTS if kind not in MEMBER_KINDS):
        return found
    return accounts_ensure(cooperative=cooperative)


def _vat_lines(
    cooperative: Cooperative,
    vat_by_rate: dict[Decimal, Decimal],
    *,
    sign: int,
    text: str = "",
    accounts: dict[str, Account] | None = None,
) -> list[Line]:
    """Output VAT per rate: credited (sign −1) when invoiced, debited (+1) when corrected."""
    accounts = accounts or _system_accounts(cooperative)
    return [
        Line(
            _vat_account(cooperative, rate, accounts),
            sign * vat,
            text or _("VAT %(r)s %%") % {"r": rate},
        )
        for rate, vat in sorted(vat_by_rate.items())
        if vat
    ]


def _fee_lines(
    member: Member,
    net: Decimal,
    on: date,
    source_account: Account,
    accounts: dict[str, Account] | None = None,
    earlier: tuple[Decimal, Decimal] = (ZERO, ZERO),
    *,
    rule: FeeRule | None = None,
    budget: Account | None = None,
    charged: Decimal | None = None,
) -> list[Line]:
    """Net revenue from `source_account` to the member's budget, less fee and guarantee
    contribution. Batch callers pass what they looked up once (rule, budget, the year's fees)."""
    rule = rule or fee_rule_for(member=member)
    if charged is None:
        # The year's fees matter only under a yearly cap; without one, skip the query.
        charged = fees_this_year(member=member, on=on) if rule.cap_per_year is not None else ZERO
    split = fees.split_revenue(
        net, _terms(rule), fees_this_year=charged, net_before=earlier[0], fee_before=earlier[1]
    )
    accounts = accounts or _system_accounts(member.cooperative)
    budget = budget or account_member(member=member)
    lines = [Line(source_account, split.net, _("net revenue"))]
    if split.fee:
        lines.append(
            Line(
                accounts[AccountKind.FEE_INCOME],
                -split.fee,
                _("fee %(p)s %%") % {"p": rule.percentage},
            )
        )
    if split.guarantee:
        lines.append(
            Line(
                accounts[AccountKind.GUARANTEE_FUND],
                -split.guarantee,
                _("guarantee fund %(p)s %%") % {"p": rule.guarantee_percentage},
            )
        )
    if split.budget:
        lines.append(Line(budget, -split.budget, _("to the budget")))
    return lines


@dataclass(frozen=True)
class IssuedRevenue:
    """One issued invoice's amounts for `revenue_post_issue_many`."""

    member: Member
    invoice_id: str
    invoice_number: str
    net: Decimal
    vat_by_rate: dict[Decimal, Decimal]
    booking_date: date


def revenue_post_issue(
    *,
    member: Member,
    invoice_id: str,
    invoice_number: str,
    net: Decimal,
    vat_by_rate: dict[Decimal, Decimal],
    booking_date: date,
    actor: User | None,
) -> Transaction:
    """An issued invoice: the receivable (gross) against output VAT and the member's net
    revenue — pending until paid, or already in the budget (minus fee) if fees are charged on
    issue. Posting twice returns the first posting."""
    item = IssuedRevenue(member, invoice_id, invoice_number, net, vat_by_rate, booking_date)
    with transaction.atomic():
        revenue_post_issue_many(items=[item], actor=actor)
        return Transaction.objects.get(idempotency_key=f"invoice-issue:{invoice_id}")


def revenue_post_issue_many(*, items: list[IssuedRevenue], actor: User | None) -> None:
    """Many issued invoices of one cooperative (a batch approved at once), each posted as
    `revenue_post_issue` would, in a handful of queries. Idempotent per invoice."""
    for item in items:
        if item.net < 0:
            raise ApplicationError(
                _("Cancel an invoice by reversing its postings, not with a negative amount."),
                code="negative_net",
            )
    if not items:
        return
    cooperative = items[0].member.cooperative
    with transaction.atomic():
        # Taken first so the yearly fee cap is read and charged under the posting lock.
        _lock_head(cooperative)
        accounts = _system_accounts(cooperative)
        members = {item.member.pk: item.member for item in items}
        pending = {
            a.member_id: a
            for a in Account.objects.filter(member_id__in=members, kind=AccountKind.MEMBER_PENDING)
        }
        rules: dict[str, FeeRule] = {}
        postings = []
        for item in items:
            member = item.member
            if member.pk not in pending:
                pending[member.pk] = account_member(member=member, kind=AccountKind.MEMBER_PENDING)
            if member.fee_category not in rules:
                rules[member.fee_category] = fee_rule_for(member=member)
            rule, clearing = rules[member.fee_category], pending[member.pk]
            gross = item.net + sum(item.vat_by_rate.values(), ZERO)
            lines = [Line(accounts[AccountKind.RECEIVABLES], gross, item.invoice_number)]
            lines += _vat_lines(cooperative, item.vat_by_rate, sign=-1, accounts=accounts)
            posting = Posting(
                booking_date=item.booking_date,
                description=_("Invoice %(number)s issued") % {"number": item.invoice_number},
                source_type=SourceType.INVOICE,
                source_id=item.invoice_id,
                lines=lines,
                idempotency_key=f"invoice-issue:{item.invoice_id}",
            )
            if rule.charge_on == FeeRule.ChargeOn.ISSUE:
                lines.append(Line(clearing, -item.net, _("net revenue")))
                lines += _fee_lines(
                    member, item.net, item.booking_date, clearing, accounts, rule=rule
                )
                posting.lines = _merge(lines)
                # The yearly cap counts the fees posted before this one: post it now.
                ledger_post_many(cooperative=cooperative, postings=[posting], actor=actor)
            else:
                lines.append(Line(clearing, -item.net, _("net revenue, awaiting payment")))
                posting.lines = _merge(lines)
                postings.append(posting)
        ledger_post_many(cooperative=cooperative, postings=postings, actor=actor)


def revenue_post_credit_note(
    *,
    member: Member,
    invoice_id: str,
    original_invoice_id: str,
    invoice_number: str,
    net: Decimal,
    vat_by_rate: dict[Decimal, Decimal],
    booking_date: date,
    actor: User | None,
) -> Transaction:
    """A partial credit note (net and VAT as positive amounts credited): the receivable and the
    output VAT go down, and so does what the member was credited — pending revenue, or, where
    fees were charged on issue, the fee, guarantee and budget shares of the original posting in
    proportion (half-up; the budget share takes the rounding cent)."""
    cooperative = member.cooperative
    if net <= 0:
        raise ApplicationError(_("A credit note credits a positive amount."), code="negative_net")
    key = f"invoice-credit:{invoice_id}"
    existing = Transaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    original = Transaction.objects.get(idempotency_key=f"invoice-issue:{original_invoice_id}")
    gross = net + sum(vat_by_rate.values(), ZERO)
    lines = [
        Line(
            account_system(cooperative=cooperative, kind=AccountKind.RECEIVABLES),
            -gross,
            invoice_number,
        )
    ]
    lines += _vat_lines(cooperative, vat_by_rate, sign=1)
    shares = [
        entry
        for entry in original.entries.select_related("account")
        if entry.account.kind
        in (AccountKind.FEE_INCOME, AccountKind.GUARANTEE_FUND, AccountKind.MEMBER_BUDGET)
    ]
    pending = [e for e in original.entries.all() if e.account.kind == AccountKind.MEMBER_PENDING]
    if pending:
        lines.append(Line(pending[0].account, net, _("net revenue credited")))
    else:
        original_net = -sum((e.amount for e in shares), ZERO)
        budget_line = None
        taken = ZERO
        for entry in shares:
            share = (-entry.amount * net / original_net).quantize(CENT, rounding=ROUND_HALF_UP)
            line = Line(entry.account, share, entry.text)
            if entry.account.kind == AccountKind.MEMBER_BUDGET:
                budget_line = line
            else:
                lines.append(line)
                taken += share
        budget = budget_line.account if budget_line else account_member(member=member)
        lines.append(Line(budget, net - taken, _("from the budget")))
    return ledger_post(
        cooperative=cooperative,
        booking_date=booking_date,
        description=_("Credit note %(number)s issued") % {"number": invoice_number},
        source_type=SourceType.INVOICE,
        source_id=invoice_id,
        lines=_merge(lines),
        actor=actor,
        idempotency_key=key,
    )


@dataclass
class Payment:
    """A client's payment of (part of) an invoice, for `revenue_post_payments`."""

    member: Member
    payment_id: str
    invoice_id: str
    invoice_number: str
    gross_paid: Decimal
    net_share: Decimal
    booking_date: date
    # Idempotency keys of earlier, still valid payments of the same invoice (possibly earlier
    # in the same batch), so a part payment is charged the invoice's fee once in total.
    earlier_payment_keys: list[str] = field(default_factory=list)


def revenue_post_payment(
    *,
    member: Member,
    payment_id: str,
    invoice_id: str,
    invoice_number: str,
    gross_paid: Decimal,
    net_share: Decimal,
    booking_date: date,
    actor: User | None,
    earlier_payment_keys: list[str] | None = None,
) -> Transaction:
    """A client's payment: bank against the receivable, and (fees on payment) the net revenue
    moves from pending to the budget, minus fee and guarantee contribution. Posting the same
    payment again returns the first posting."""
    existing = Transaction.objects.filter(idempotency_key=f"payment:{payment_id}").first()
    if existing is not None:
        return existing
    payment = Payment(
        member,
        payment_id,
        invoice_id,
        invoice_number,
        gross_paid,
        net_share,
        booking_date,
        earlier_payment_keys or [],
    )
    return revenue_post_payments(cooperative=member.cooperative, payments=[payment], actor=actor)[0]


def revenue_post_payments(
    *, cooperative: Cooperative, payments: list[Payment], actor: User | None
) -> list[Transaction]:
    """Post many payments (a statement import) with a fixed number of queries: the lookups
    are made once for all of them and the postings written by `ledger_post_many`. Payments
    already posted are skipped.

    Whether the fee is due now follows from how the invoice was *posted* at issue (or advanced
    by the guarantee fund), not from the rule as it is today: a rule changed in between must
    neither charge twice nor never."""
    with transaction.atomic():
        _lock_head(cooperative)  # the year's fees and earlier part payments stay as read
        posted = set(
            Transaction.objects.filter(
                idempotency_key__in=[f"payment:{p.payment_id}" for p in payments]
            ).values_list("idempotency_key", flat=True)
        )
        payments = [p for p in payments if f"payment:{p.payment_id}" not in posted]
        if not payments:
            return []
        invoice_ids = {p.invoice_id for p in payments}
        issues = dict(
            Transaction.objects.filter(
                idempotency_key__in=[f"invoice-issue:{i}" for i in invoice_ids]
            ).values_list("idempotency_key", "pk")
        )
        if len(issues) != len(invoice_ids):
            raise ApplicationError(
                _("The invoice has not been posted as issued."), code="not_issued"
            )
        # Fees already charged: at issue (the budget was credited), or by a guarantee advance.
        charged_at_issue = {
            key.removeprefix("invoice-issue:")
            for key in Entry.objects.filter(
                transaction_id__in=issues.values(), account__kind=AccountKind.MEMBER_BUDGET
            ).values_list("transaction__idempotency_key", flat=True)
        } | {
            key.removeprefix("guarantee-advance:")
            for key in Transaction.objects.filter(
                idempotency_key__in=[f"guarantee-advance:{i}" for i in invoice_ids]
            ).values_list("idempotency_key", flat=True)
        }
        accounts = _system_accounts(cooperative)
        due = [p for p in payments if p.invoice_id not in charged_at_issue]
        members = {p.member.pk: p.member for p in due}
        member_accounts = accounts_member_many(members)
        rules = _fee_rules()
        earlier = _released_by(
            [k for p in due for k in p.earlier_payment_keys],
            [member_accounts[m, AccountKind.MEMBER_PENDING] for m in members],
            accounts,
        )
        fees_in_batch: dict[int, list[tuple[date, Decimal]]] = {}
        postings = []
        for payment in payments:
            lines = [
                Line(accounts[AccountKind.BANK], payment.gross_paid, payment.invoice_number),
                Line(
                    accounts[AccountKind.RECEIVABLES], -payment.gross_paid, payment.invoice_number
                ),
            ]
            if payment.invoice_id not in charged_at_issue:
                member, on = payment.member, payment.booking_date
                rule = rules.get(member.fee_category) or rules.get("")
                if rule is None:
                    fee_rule_for(member=member)  # raises the cooperative's missing-rule error
                charged = ZERO
                if rule.cap_per_year is not None:
                    charged = fees_this_year(member=member, on=on) + sum(
                        (
                            fee
                            for day, fee in fees_in_batch.get(member.pk, [])
                            if day.year == on.year and day <= on
                        ),
                        ZERO,
                    )
                pending = member_accounts[member.pk, AccountKind.MEMBER_PENDING]
                before = [earlier.get(k, (ZERO, ZERO)) for k in payment.earlier_payment_keys]
                fee_lines = _fee_lines(
                    member,
                    payment.net_share,
                    on,
                    pending,
                    accounts,
                    (sum((b[0] for b in before), ZERO), sum((b[1] for b in before), ZERO)),
                    rule=rule,
                    budget=member_accounts[member.pk, AccountKind.MEMBER_BUDGET],
                    charged=charged,
                )
                lines += fee_lines
                fee = -sum(
                    (x.amount for x in fee_lines if x.account == accounts[AccountKind.FEE_INCOME]),
                    ZERO,
                )
                earlier[f"payment:{payment.payment_id}"] = (
                    sum((x.amount for x in fee_lines if x.account == pending), ZERO),
                    fee,
                )
                fees_in_batch.setdefault(member.pk, []).append((on, fee))
            postings.append(
                Posting(
                    booking_date=payment.booking_date,
                    description=_("Payment for invoice %(number)s")
                    % {"number": payment.invoice_number},
                    source_type=SourceType.PAYMENT,
                    source_id=payment.payment_id,
                    lines=_merge(lines),
                    idempotency_key=f"payment:{payment.payment_id}",
                )
            )
        return ledger_post_many(cooperative=cooperative, postings=postings, actor=actor)


def accounts_member_many(
    members: dict[int, Member], kinds: tuple[str, ...] = MEMBER_KINDS
) -> dict[tuple[int, str], Account]:
    """Member accounts (budget, pending) of many members in one query, created on first use."""
    found = {
        (a.member_id, a.kind): a
        for a in Account.objects.filter(member_id__in=members, kind__in=list(kinds))
    }
    for member_id, member in members.items():
        for kind in kinds:
            if (member_id, kind) not in found:
                found[member_id, kind] = account_member(member=member, kind=kind)
    return found


def _fee_rules() -> dict[str, FeeRule]:
    return {rule.category: rule for rule in FeeRule.objects.all()}


def _released_by(
    keys: list[str], pending_accounts: list[Account], accounts: dict[str, Account]
) -> dict[str, tuple[Decimal, Decimal]]:
    """(net revenue released, fee charged) per payment posting, for earlier part payments."""
    if not keys:
        return {}
    fee_account = accounts[AccountKind.FEE_INCOME]
    released: dict[str, tuple[Decimal, Decimal]] = {}
    for key, account_id, total in (
        Entry.objects.filter(
            transaction__idempotency_key__in=keys,
            account__in=[*pending_accounts, fee_account],
        )
        .values_list("transaction__idempotency_key", "account_id")
        .annotate(total=Sum("amount"))
    ):
        net, fee = released.get(key, (ZERO, ZERO))
        if account_id == fee_account.pk:
            released[key] = (net, fee - total)
        else:
            released[key] = (net + total, fee)
    return released


def guarantee_post_advance(
    *,
    member: Member,
    invoice_id: str,
    invoice_number: str,
    net_share: Decimal,
    booking_date: date,
    actor: User | None,
) -> Transaction:
    """The guarantee fund advances an unpaid invoice: the member's pending revenue moves to the
    budget (minus fee and guarantee contribution) as if the client had paid; the receivable
    stays. A later payment then only settles the receivable (revenue_post_payment)."""
    cooperative = member.cooperative
    with transaction.atomic():
        _lock_head(cooperative)
        pending = account_member(member=member, kind=AccountKind.MEMBER_PENDING)
        lines = _fee_lines(member, net_share, booking_date, pending)
        return ledger_post(
            cooperative=cooperative,
            booking_date=booking_date,
            description=_("Guarantee fund advance for invoice %(number)s")
            % {"number": invoice_number},
            source_type=SourceType.INVOICE,
            source_id=invoice_id,
            lines=_merge(lines),
            actor=actor,
            idempotency_key=f"guarantee-advance:{invoice_id}",
        )


def guarantee_post_write_off(
    *,
    cooperative: Cooperative,
    invoice_id: str,
    invoice_number: str,
    gross_open: Decimal,
    vat_by_rate_open: dict[Decimal, Decimal],
    booking_date: date,
    actor: User | None,
) -> Transaction:
    """An advanced invoice is uncollectible: the receivable goes, the output VAT on it is
    corrected (§ 17 (2) no. 1 UStG), and the guarantee fund absorbs the rest."""
    accounts = _system_accounts(cooperative)
    vat_total = sum(vat_by_rate_open.values(), ZERO)
    lines = [Line(accounts[AccountKind.RECEIVABLES], -gross_open, invoice_number)]
    lines += _vat_lines(
        cooperative, vat_by_rate_open, sign=1, text=_("VAT correction"), accounts=accounts
    )
    lines.append(
        Line(accounts[AccountKind.GUARANTEE_FUND], gross_open - vat_total, _("written off"))
    )
    return ledger_post(
        cooperative=cooperative,
        booking_date=booking_date,
        description=_("Invoice %(number)s written off") % {"number": invoice_number},
        source_type=SourceType.INVOICE,
        source_id=invoice_id,
        lines=_merge(lines),
        actor=actor,
        idempotency_key=f"guarantee-write-off:{invoice_id}",
    )


def _merge(lines: list[Line]) -> list[Line]:
    """One line per account (a pending account debited and credited in one posting nets out)."""
    merged: dict[int, Line] = {}
    for line in lines:
        if line.account.pk in merged:
            previous = merged[line.account.pk]
            merged[line.account.pk] = Line(
                line.account, previous.amount + line.amount, previous.text
            )
        else:
            merged[line.account.pk] = line
    return [line for line in merged.values() if line.amount != 0]


def fees_post_monthly_floor(
    *, member: Member, month: date, actor: User | None
) -> Transaction | None:
    """Top the month's fees up to the rule's monthly minimum (idempotent per member and month)."""
    rule = fee_rule_for(member=member)
    terms = _terms(rule)
    start = month.replace(day=1)
    end = (start.replace(day=28) + timezone.timedelta(days=4)).replace(day=1) - timezone.timedelta(
        days=1
    )
    month_fees = _fees_between(member, start, end)
    pending = account_member(member=member, kind=AccountKind.MEMBER_PENDING)
    budget = account_member(member=member)
    had_revenue = Entry.objects.filter(
        account__in=[pending, budget], transaction__booking_date__range=(start, end), amount__lt=0
    ).exists()
    top_up = fees.monthly_floor_top_up(
        terms,
        fees_this_month=month_fees,
        fees_this_year=_fees_between(member, start.replace(month=1), end),
        had_revenue=had_revenue,
    )
    if not top_up:
        return None
    return ledger_post(
        cooperative=member.cooperative,
        booking_date=end,
        description=_("Minimum fee top-up %(month)s") % {"month": start.strftime("%Y-%m")},
        source_type=SourceType.FEE,
        source_id=f"{member.pk}:{start:%Y-%m}",
        lines=[
            Line(budget, top_up, _("minimum fee")),
            Line(
                account_system(cooperative=member.cooperative, kind=AccountKind.FEE_INCOME),
                -top_up,
                _("minimum fee"),
            ),
        ],
        actor=actor,
        idempotency_key=f"fee-floor:{member.pk}:{start:%Y-%m}",
    )


# --- Shares and periods ----------------------------------------------------------------------


def share_payment_post(*, payment, actor: User | None) -> Transaction | None:
    """Money for shares: bank against share capital (the member's equity, not their budget).
    A payment dated in a locked month is booked on the first day after the lock (today).
    A payment cancelled meanwhile (a bank match undone) is not posted: None."""
    cooperative = payment.member.cooperative
    booking_date = payment.paid_on
    with transaction.atomic():
        _lock_head(cooperative)  # a cancellation under way commits first, or waits for this
        if type(payment).objects.filter(pk=payment.pk, cancelled_at__isnull=False).exists():
            return None
        if period_is_locked(cooperative=cooperative, on=booking_date):
            booking_date = timezone.localdate()
        return ledger_post(
            cooperative=cooperative,
            booking_date=booking_date,
            description=_("Share payment %(name)s") % {"name": payment.member.full_name},
            source_type=SourceType.SHARE,
            source_id=str(payment.pk),
            lines=[
                Line(
                    account_system(cooperative=cooperative, kind=AccountKind.BANK),
                    payment.amount,
                    payment.reference,
                ),
                Line(
                    account_system(cooperative=cooperative, kind=AccountKind.SHARE_CAPITAL),
                    -payment.amount,
                    payment.member.full_name,
                ),
            ],
            actor=actor,
            idempotency_key=f"share-payment:{payment.pk}",
        )


def bank_charge_post(
    *,
    cooperative: Cooperative,
    bank_transaction_id: int,
    amount: Decimal,
    booking_date: date,
    text: str,
) -> Transaction:
    """Charges the bank took from the account (a debit on the statement): an expense of the
    cooperative, never of a member."""
    accounts = _system_accounts(cooperative)
    return ledger_post(
        cooperative=cooperative,
        booking_date=booking_date,
        description=_("Bank charges %(text)s") % {"text": text},
        source_type=SourceType.BANK,
        source_id=str(bank_transaction_id),
        lines=[
            Line(accounts[AccountKind.BANK_CHARGES], amount, text),
            Line(accounts[AccountKind.BANK], -amount, text),
        ],
        actor=None,
        idempotency_key=f"bank-charge:{bank_transaction_id}",
    )


def share_payments_post_pending(*, cooperative: Cooperative) -> int:
    """Post every share payment not yet in the ledger (sweeper; safe to run any time)."""
    from members.models import SharePayment

    posted = set(
        Transaction.objects.filter(source_type=SourceType.SHARE).values_list("source_id", flat=True)
    )
    count = 0
    for payment in (
        SharePayment.objects.filter(cancelled_at__isnull=True)
        .select_related("member", "member__cooperative")
        .order_by("pk")
    ):
        if str(payment.pk) not in posted and share_payment_post(
            payment=payment, actor=payment.recorded_by
        ):
            count += 1
    return count


def period_lock(*, cooperative: Cooperative, month: date, actor: User) -> PeriodLock:
    _lock_head(cooperative)  # waits for postings under way, so none lands in the closed month
    lock, _created = PeriodLock.objects.get_or_create(
        cooperative=cooperative, month=month.replace(day=1), defaults={"locked_by": actor}
    )
    return lock


def fees_post_monthly_floors(*, cooperative: Cooperative, month: date) -> int:
    """Monthly minimum fees of every member with revenue in `month` (idempotent)."""
    if not FeeRule.objects.filter(
        floor_period=FeeRule.FloorPeriod.MONTH, floor_amount__isnull=False
    ).exists():
        return 0
    members = Member.objects.filter(ledger_accounts__kind=AccountKind.MEMBER_BUDGET).distinct()
    posted = 0
    for member in members:
        try:
            with transaction.atomic():
                posted += bool(fees_post_monthly_floor(member=member, month=month, actor=None))
        except ApplicationError as exc:
            logger.warning("monthly minimum fee of member %s not posted: %s", member.pk, exc.code)
    return posted
