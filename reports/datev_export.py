"""From ledger transactions to DATEV bookings, and the proof that both say the same (ADR 0023).

Each transaction becomes *legs*: signed amounts (debit positive) on DATEV accounts.

- Accounts without a member keep their own SKR number; the receivable becomes the client's
  debtor account when the transaction belongs to an invoice.
- The member's accounts (budget, revenue awaiting payment) and the fee income are one thing in
  the statutory books: what is left of them after a transaction is revenue (invoices), salary
  costs (payroll), an expense (claims) or the clearing account (anything else), with the member
  number as cost centre (KOST1).
- A guarantee fund contribution is an expense of the member's cost centre against the fund.
- On invoices the output VAT is folded into the automatic revenue account, which takes it out
  of the gross again in DATEV; `Reconciliation` repeats that split to compare.

The legs of a transaction sum to zero, so booking every leg against one *anchor* leg (the
debtor, else the bank, else the largest) gives the anchor exactly its own amount back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Max, Q, Sum
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from ledger import datev
from ledger.models import (
    DATEV_AUTOMATIC_RATES,
    DATEV_DEFAULTS,
    MEMBER_KINDS,
    Account,
    AccountKind,
    Chart,
    DatevAccount,
    DatevPurpose,
    Entry,
    LedgerSettings,
    SourceType,
    Transaction,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CHUNK = 2000
_ONE_DAY = timedelta(days=1)
# The order in which legs are matched (after the debtor): payroll then reads gross an net
# wages, an wage tax, an social security, and the employer's share an social security.
MATCH_ORDER = (
    AccountKind.BANK,
    DatevPurpose.SALARIES,
    DatevPurpose.SOCIAL_COSTS,
    DatevPurpose.ACCIDENT_INSURANCE,
    AccountKind.WAGES_PAYABLE,
    AccountKind.WAGE_TAX_PAYABLE,
    AccountKind.SOCIAL_SECURITY_PAYABLE,
    AccountKind.GUARANTEE_FUND,
    AccountKind.SHARE_CAPITAL,
)
VAT_RATE_OF = {AccountKind.OUTPUT_VAT_19: Decimal("19"), AccountKind.OUTPUT_VAT_7: Decimal("7")}
REVENUE_PURPOSE = {
    ("S", Decimal("19.00")): DatevPurpose.REVENUE_19,
    ("S", Decimal("7.00")): DatevPurpose.REVENUE_7,
    ("AE", None): DatevPurpose.REVENUE_REVERSE_CHARGE,
    ("O", None): DatevPurpose.REVENUE_NOT_TAXABLE,
    ("E", None): DatevPurpose.REVENUE_EXEMPT,
}
MEMBER_SIDE = (*MEMBER_KINDS, AccountKind.FEE_INCOME)


@dataclass(frozen=True)
class Leg:
    account: str
    amount: Decimal  # debit positive
    kost1: str = ""
    eu_vat_id: str = ""


@dataclass
class Context:
    """What a transaction is about, looked up from its source document."""

    kind: str = "other"  # invoice, advance, write_off, payment, payroll, certified, expense
    document: str = ""  # Belegfeld 1
    debtor: str = ""
    eu_vat_id: str = ""
    due_date: date | None = None
    nets: dict[tuple[str, Decimal | None], Decimal] = field(default_factory=dict)
    payroll: tuple[Decimal, Decimal, Decimal] | None = None  # gross, accident, employer cost
    gross_difference: Decimal = ZERO
    expense_category: str = ""


class Accounts:
    """The DATEV numbers of a cooperative: ledger accounts by id, purposes, debtor range."""

    def __init__(self, cooperative, settings: LedgerSettings):
        self.chart = settings.chart
        column = 1 if self.chart == Chart.SKR04 else 0
        self.purpose = {purpose: numbers[column] for purpose, numbers in DATEV_DEFAULTS.items()}
        self.purpose.update(dict(DatevAccount.objects.values_list("purpose", "number")))
        self.ledger: dict[int, tuple[str, int | None, str]] = {}
        for pk, kind, member_id, skr03, skr04 in Account.objects.values_list(
            "pk", "kind", "member_id", "skr03", "skr04"
        ):
            self.ledger[pk] = (kind, member_id, skr04 if self.chart == Chart.SKR04 else skr03)
        self.by_kind = {
            kind: number for kind, member_id, number in self.ledger.values() if member_id is None
        }
        self.automatic = {
            self.purpose[purpose]: rate for purpose, rate in DATEV_AUTOMATIC_RATES.items()
        }
        self.vat_account = {
            Decimal("19"): self.by_kind.get(AccountKind.OUTPUT_VAT_19, ""),
            Decimal("7"): self.by_kind.get(AccountKind.OUTPUT_VAT_7, ""),
        }

    def number(self, kind: str) -> str:
        number = self.by_kind.get(kind, "")
        if not number.isdigit():
            raise ApplicationError(
                _("The ledger account “%(kind)s” has no %(chart)s number; add it in the admin.")
                % {"kind": AccountKind(kind).label, "chart": self.chart},
                code="datev_account_missing",
            )
        return number


# --- Legs ------------------------------------------------------------------------------------


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` in proportion to `weights`, whole cents, the last part taking the remainder."""
    whole = sum(weights, ZERO)
    parts: list[Decimal] = []
    for weight in weights[:-1]:
        parts.append((total * weight / whole).quantize(CENT, rounding=ROUND_HALF_UP))
    parts.append(total - sum(parts, ZERO))
    return parts


def legs_of(
    entries: list[tuple[str, int | None, str, Decimal]],
    context: Context,
    accounts: Accounts,
    members: dict[int, str],
) -> list[Leg]:
    """`entries`: (account kind, member id, SKR number, amount) of one transaction."""
    member_side = ZERO
    kost1 = ""
    system: list[tuple[str, Decimal]] = []
    for kind, member_id, _number, amount in entries:
        if kind in MEMBER_SIDE:
            member_side += amount
            if member_id is not None:
                kost1 = members.get(member_id, "")
        else:
            system.append((kind, amount))
    legs: list[Leg] = []
    folded_vat: dict[Decimal, Decimal] = {}
    for kind, amount in system:
        if kind == AccountKind.RECEIVABLES and context.debtor:
            legs.append(Leg(context.debtor, amount))
            continue
        if kind == AccountKind.GUARANTEE_FUND and amount < 0 and member_side:
            # A contribution out of the member's revenue: an expense of their cost centre.
            purpose = accounts.purpose[DatevPurpose.GUARANTEE_CONTRIBUTION]
            legs.append(Leg(purpose, -amount, kost1))
            member_side += amount
        if kind in VAT_RATE_OF and context.kind == "invoice" and member_side:
            folded_vat[VAT_RATE_OF[kind]] = folded_vat.get(VAT_RATE_OF[kind], ZERO) + amount
            continue
        legs.append(Leg(accounts.number(kind), amount))
    if member_side:
        legs += _member_legs(member_side, folded_vat, kost1, context, accounts)
    elif folded_vat:
        raise AssertionError("VAT folded without revenue")
    return _merged(legs)


def _member_legs(
    amount: Decimal,
    vat: dict[Decimal, Decimal],
    kost1: str,
    context: Context,
    accounts: Accounts,
) -> list[Leg]:
    purpose = accounts.purpose
    if context.kind == "invoice" and context.nets:
        keys = sorted(context.nets, key=lambda k: (k[0], k[1] or ZERO))
        weights = [context.nets[k] for k in keys]
        if sum(weights, ZERO):
            # The member side is minus the net of the document (plus for a reversal).
            parts = _split(amount, weights)
            legs = []
            for key, part in zip(keys, parts, strict=True):
                rate = key[1] if key[0] == "S" else None
                account = purpose[REVENUE_PURPOSE[key[0], rate]]
                part += vat.pop(rate, ZERO) if rate is not None else ZERO
                eu_vat_id = context.eu_vat_id if key[0] == "AE" else ""
                legs.append(Leg(account, part, kost1, eu_vat_id))
            # VAT of a rate the document does not show stays on the VAT account itself.
            legs += [Leg(accounts.vat_account[rate], value) for rate, value in vat.items()]
            return legs
    if context.kind == "payroll" and context.payroll and context.payroll[2]:
        gross, accident, cost = context.payroll
        parts = _split(amount, [gross, accident, cost - gross - accident])
        return [
            Leg(purpose[DatevPurpose.SALARIES], parts[0], kost1),
            Leg(purpose[DatevPurpose.ACCIDENT_INSURANCE], parts[1], kost1),
            Leg(purpose[DatevPurpose.SOCIAL_COSTS], parts[2], kost1),
        ]
    if context.kind == "certified":
        gross = context.gross_difference if amount > 0 else -context.gross_difference
        return [
            Leg(purpose[DatevPurpose.SALARIES], gross, kost1),
            Leg(purpose[DatevPurpose.SOCIAL_COSTS], amount - gross, kost1),
        ]
    if context.kind == "expense":
        key = f"expense_{context.expense_category}"
        account = purpose.get(key) or purpose[DatevPurpose.EXPENSE_OTHER]
        return [Leg(account, amount, kost1)]
    return [Leg(purpose[DatevPurpose.MEMBER_CLEARING], amount, kost1)]


def _merged(legs: list[Leg]) -> list[Leg]:
    totals: dict[tuple[str, str, str], Decimal] = {}
    for leg in legs:
        key = (leg.account, leg.kost1, leg.eu_vat_id)
        totals[key] = totals.get(key, ZERO) + leg.amount
    return [Leg(a, amount, k, e) for (a, k, e), amount in totals.items() if amount]


def bookings_of(
    legs: list[Leg],
    *,
    anchors: tuple[str, ...],
    on: date,
    document: str,
    number: str,
    text: str,
    due_date: date | None,
) -> list[datev.Booking]:
    """Debit legs matched against credit legs, as a bookkeeper writes them: `Konto` is always
    the debited account (S), `Gegenkonto` the credited one. Legs on `anchors` (debtor, bank,
    …) come first and the rest largest first, so a revenue leg is matched whole against the
    debtor and DATEV's VAT split sees the same gross as ours."""
    if not legs:
        return []
    if sum((leg.amount for leg in legs), ZERO) != 0:
        raise AssertionError(f"unbalanced legs in transaction {number}")
    if len(legs) == 2:  # most transactions: one debit, one credit, nothing to match
        debit, credit = legs if legs[0].amount > 0 else (legs[1], legs[0])
        return [
            datev.Booking(
                amount=debit.amount,
                debit_credit="S",
                account=debit.account,
                contra_account=credit.account,
                document_date=on,
                document_field_1=document,
                document_field_2=number,
                text=text,
                cost_center_1=debit.kost1 or credit.kost1,
                eu_vat_id=debit.eu_vat_id or credit.eu_vat_id,
                due_date=due_date,
            )
        ]
    rank = {account: i for i, account in enumerate(anchors)}

    def order(leg: Leg) -> tuple[int, Decimal]:
        return (rank.get(leg.account, len(rank)), -abs(leg.amount))

    debits = [[leg, leg.amount] for leg in sorted(legs, key=order) if leg.amount > 0]
    credits = [[leg, -leg.amount] for leg in sorted(legs, key=order) if leg.amount < 0]
    bookings = []
    d = c = 0
    while d < len(debits) and c < len(credits):
        debit, credit = debits[d], credits[c]
        amount = min(debit[1], credit[1])
        bookings.append(
            datev.Booking(
                amount=amount,
                debit_credit="S",
                account=debit[0].account,
                contra_account=credit[0].account,
                document_date=on,
                document_field_1=document,
                document_field_2=number,
                text=text,
                cost_center_1=debit[0].kost1 or credit[0].kost1,
                eu_vat_id=debit[0].eu_vat_id or credit[0].eu_vat_id,
                due_date=due_date,
            )
        )
        debit[1] -= amount
        credit[1] -= amount
        d += debit[1] == 0
        c += credit[1] == 0
    return bookings


# --- Loading ---------------------------------------------------------------------------------


def _transactions(start: date, end: date) -> Iterator[list[tuple]]:
    """Transactions of the period in chunks, in booking order (keyset pagination)."""
    after: tuple[date, int] | None = None
    fields = (
        "pk",
        "sequence",
        "booking_date",
        "description",
        "source_type",
        "source_id",
        "idempotency_key",
        "reverses_id",
    )
    while True:
        rows = Transaction.objects.filter(booking_date__range=(start, end))
        if after is not None:
            rows = rows.filter(
                Q(booking_date__gt=after[0]) | Q(booking_date=after[0], sequence__gt=after[1])
            )
        chunk = list(rows.order_by("booking_date", "sequence").values_list(*fields)[:CHUNK])
        if not chunk:
            return
        yield chunk
        after = (chunk[-1][2], chunk[-1][1])


def _invoice_contexts(invoice_ids: set[int], debtors: dict[int, tuple[str, str]]) -> dict:
    from invoicing.models import Invoice, InvoiceLine

    contexts: dict[int, Context] = {}
    rows = Invoice.objects.filter(pk__in=invoice_ids).values_list(
        "pk", "number_text", "client_id", "due_date", "corrects__number_text"
    )
    for pk, number, client_id, due_date, corrected in rows:
        debtor, vat_id = debtors.get(client_id, ("", ""))
        contexts[pk] = Context(
            kind="invoice",
            document=corrected or number,
            debtor=debtor,
            eu_vat_id=vat_id,
            due_date=due_date,
        )
    for invoice_id, category, rate, net in (
        InvoiceLine.objects.filter(invoice_id__in=invoice_ids)
        .values_list("invoice_id", "vat_category", "vat_rate")
        .annotate(net=Sum("net_amount"))
    ):
        key = (category, rate.quantize(CENT) if category == "S" else None)
        nets = contexts[invoice_id].nets
        nets[key] = nets.get(key, ZERO) + net
    return contexts


def _contexts(chunk: list[tuple], debtors: dict[int, tuple[str, str]]) -> dict[int, Context]:
    """Context per transaction id of a chunk, a fixed number of queries per chunk."""
    from banking.models import Allocation
    from expenses.models import ExpenseClaim
    from payroll.models import CertifiedResult, PayrollLine

    originals = {
        pk: (source_type, source_id, key)
        for pk, source_type, source_id, key in Transaction.objects.filter(
            pk__in=[row[7] for row in chunk if row[7]]
        ).values_list("pk", "source_type", "source_id", "idempotency_key")
    }

    def source(row) -> tuple[str, str, str]:
        if row[7]:  # a reversal is read as the transaction it reverses
            return originals[row[7]]
        return row[4], row[5], row[6] or ""

    sources = {row[0]: source(row) for row in chunk}
    allocations = dict(
        Allocation.objects.filter(
            pk__in=[
                int(sid.removeprefix("allocation-"))
                for st, sid, _k in sources.values()
                if st == SourceType.PAYMENT and sid.startswith("allocation-")
            ]
        ).values_list("pk", "invoice_id")
    )
    invoice_ids = {int(sid) for st, sid, _k in sources.values() if st == SourceType.INVOICE}
    invoice_ids |= {i for i in allocations.values() if i}
    invoices = _invoice_contexts(invoice_ids, debtors)
    line_ids = {int(sid) for st, sid, _k in sources.values() if st == SourceType.PAYROLL_LINE}
    lines = {
        pk: (gross, Decimal(details.get("accident", "0")), cost)
        for pk, gross, details, cost in PayrollLine.objects.filter(pk__in=line_ids).values_list(
            "pk", "gross", "details", "employer_cost"
        )
    }
    certified = {
        line_id: gross - line_gross
        for line_id, gross, line_gross in CertifiedResult.objects.filter(
            line_id__in=line_ids
        ).values_list("line_id", "gross", "line__gross")
    }
    claims = dict(
        ExpenseClaim.objects.filter(
            pk__in=[int(sid) for st, sid, _k in sources.values() if st == SourceType.EXPENSE]
        ).values_list("pk", "category")
    )
    contexts: dict[int, Context] = {}
    for pk, (source_type, source_id, key) in sources.items():
        context = Context()
        if source_type == SourceType.INVOICE:
            invoice = invoices.get(int(source_id))
            if invoice is not None:
                context = Context(**vars(invoice))
                if key.startswith("guarantee-advance:"):
                    context.kind = "advance"
                elif key.startswith("guarantee-write-off:"):
                    context.kind = "write_off"
        elif source_type == SourceType.PAYMENT and source_id.startswith("allocation-"):
            invoice = invoices.get(allocations.get(int(source_id.removeprefix("allocation-"))))
            if invoice is not None:
                context = Context(**vars(invoice))
                context.kind, context.nets, context.due_date = "payment", {}, None
        elif source_type == SourceType.PAYROLL_LINE and int(source_id) in lines:
            if key.startswith("payroll:certified-"):
                context.kind = "certified"
                context.gross_difference = certified.get(int(source_id), ZERO)
            else:
                context.kind, context.payroll = "payroll", lines[int(source_id)]
        elif source_type == SourceType.EXPENSE and int(source_id) in claims:
            context.kind, context.expense_category = "expense", claims[int(source_id)]
        contexts[pk] = context
    return contexts


def debtors_assign(*, cooperative) -> int:
    """Give every client without one a debtor number (10000 + n with a 4-digit chart), under
    a lock so two exports never hand out the same number. Returns how many were given.

    Commit this before the export's long read: the lock is `FOR NO KEY UPDATE`, which leaves
    the cooperative's other writes (their foreign-key checks take `FOR KEY SHARE`) alone, but
    two assignments still wait for each other."""
    from invoicing.models import Client
    from tenancy.models import Cooperative

    Cooperative.objects.select_for_update(no_key=True).filter(pk=cooperative.pk).first()
    missing = list(Client.objects.filter(debtor_number__isnull=True).order_by("pk"))
    if not missing:
        return 0
    last = Client.objects.aggregate(last=Max("debtor_number"))["last"]
    number = max(last or 0, 9999)
    for client in missing:
        number += 1
        client.debtor_number = number
    if number > 69999:
        raise ApplicationError(
            _("More clients than DATEV debtor numbers (10000–69999)."), code="debtor_range"
        )
    Client.objects.bulk_update(missing, ["debtor_number"], batch_size=1000)
    return len(missing)


def _debtors() -> dict[int, tuple[str, str]]:
    from invoicing.models import Client

    return {
        pk: (str(number), f"{vat_id}".replace(" ", "").upper() if vat_id else "")
        for pk, number, vat_id in Client.objects.filter(debtor_number__isnull=False).values_list(
            "pk", "debtor_number", "vat_id"
        )
    }


# --- The export ------------------------------------------------------------------------------


@dataclass
class Reconciliation:
    """Ledger against DATEV, per balance-sheet account and per cost centre."""

    accounts: list[tuple[str, str, Decimal, Decimal]] = field(default_factory=list)
    revenue: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    salaries: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)

    @property
    def differences(self) -> int:
        rows = [(r[-2], r[-1]) for r in (*self.accounts, *self.revenue, *self.salaries)]
        return sum(1 for ledger, exported in rows if ledger != exported)

    @property
    def ok(self) -> bool:
        return self.differences == 0


class Export:
    """Bookings of a period, streamed; the effects on every DATEV account are summed on the
    way (with DATEV's own VAT split on automatic accounts) for `reconcile`."""

    def __init__(self, *, cooperative, start: date, end: date):
        self.cooperative = cooperative
        self.start, self.end = start, end
        self.settings = LedgerSettings.objects.get_or_create(cooperative=cooperative)[0]
        self.accounts = Accounts(cooperative, self.settings)
        from members.models import Member

        self.members = {
            pk: str(number)
            for pk, number in Member.objects.filter(member_number__isnull=False).values_list(
                "pk", "member_number"
            )
        }
        self.debtors = _debtors()
        self.effects: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        self.count = 0

    def _effect(self, booking: datev.Booking) -> None:
        sign = 1 if booking.debit_credit == "S" else -1
        kost1 = booking.cost_center_1
        for account, side in ((booking.account, sign), (booking.contra_account, -sign)):
            self.effects[account, kost1] += side * booking.amount
            rate = self.accounts.automatic.get(account)
            if rate is not None:  # DATEV takes the VAT out of the gross, rounded half-up
                vat = (booking.amount * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
                self.effects[account, kost1] -= side * vat
                self.effects[self.accounts.vat_account[rate], ""] += side * vat

    def bookings(self) -> Iterator[datev.Booking]:
        anchors = tuple(
            self.accounts.purpose.get(key) or self.accounts.by_kind.get(key, "")
            for key in MATCH_ORDER
        )
        for chunk in _transactions(self.start, self.end):
            contexts = _contexts(chunk, self.debtors)
            entries: dict[int, list] = defaultdict(list)
            first, last = chunk[0], chunk[-1]
            # The chunk's entries by the same keyset bounds (a join, not 2,000 ids).
            in_chunk = Entry.objects.filter(
                Q(transaction__booking_date__gt=first[2])
                | Q(transaction__booking_date=first[2], transaction__sequence__gte=first[1]),
                Q(transaction__booking_date__lt=last[2])
                | Q(transaction__booking_date=last[2], transaction__sequence__lte=last[1]),
            )
            for tx_id, account_id, amount in in_chunk.values_list(
                "transaction_id", "account_id", "amount"
            ):
                kind, member_id, number = self.accounts.ledger[account_id]
                entries[tx_id].append((kind, member_id, number, amount))
            for pk, sequence, on, description, *_rest in chunk:
                context = contexts[pk]
                legs = legs_of(entries[pk], context, self.accounts, self.members)
                for booking in bookings_of(
                    legs,
                    anchors=((context.debtor,) if context.debtor else ()) + anchors,
                    on=on,
                    document=context.document or f"T{sequence}",
                    number=str(sequence),
                    text=description,
                    due_date=context.due_date if context.kind == "invoice" else None,
                ):
                    self._effect(booking)
                    self.count += 1
                    yield booking

    def header(self, created_at, exported_by: str, *, year_start: date, end: date) -> datev.Header:
        if not (self.settings.datev_consultant_number and self.settings.datev_client_number):
            raise ApplicationError(
                _("Enter the DATEV consultant and client numbers in the ledger settings first."),
                code="datev_numbers_missing",
            )
        start = max(self.start, year_start)
        return datev.Header(
            consultant_number=self.settings.datev_consultant_number,
            client_number=self.settings.datev_client_number,
            fiscal_year_start=year_start,
            date_from=start,
            date_to=end,
            chart=self.settings.chart,
            created_at=created_at,
            label=f"SmartCoop {start:%d.%m.%Y}-{end:%d.%m.%Y}",
            exported_by=exported_by,
        )

    def reconcile(self) -> Reconciliation:
        """Run after the bookings have been consumed."""
        from invoicing.models import Invoice

        result = Reconciliation()
        ledger = dict(
            Entry.objects.filter(
                transaction__booking_date__range=(self.start, self.end),
                account__member__isnull=True,
            )
            .exclude(account__kind=AccountKind.FEE_INCOME)
            .values_list("account__kind")
            .annotate(total=Sum("amount"))
        )
        debtor_numbers = {number for number, _v in self.debtors.values()}
        for kind in sorted(ledger):
            number = self.accounts.number(kind)
            exported = sum(
                (v for (account, _k), v in self.effects.items() if account == number), ZERO
            )
            if kind == AccountKind.RECEIVABLES:
                exported += sum(
                    (v for (a, _k), v in self.effects.items() if a in debtor_numbers), ZERO
                )
            result.accounts.append((AccountKind(kind).label, number, ledger[kind], exported))
        revenue_accounts = {
            self.accounts.purpose[p]
            for p in (
                DatevPurpose.REVENUE_19,
                DatevPurpose.REVENUE_7,
                DatevPurpose.REVENUE_REVERSE_CHARGE,
                DatevPurpose.REVENUE_NOT_TAXABLE,
                DatevPurpose.REVENUE_EXEMPT,
            )
        }
        invoiced = dict(
            Invoice.objects.filter(issue_date__range=(self.start, self.end))
            .exclude(number_text="")
            .values_list("member__member_number")
            .annotate(net=Sum("net_total"))
        )
        exported_revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for (account, kost1), value in self.effects.items():
            if account in revenue_accounts:
                exported_revenue[kost1] -= value
        for kost1 in sorted(set(exported_revenue) | {str(m) for m in invoiced}, key=_numeric):
            net = invoiced.get(int(kost1), ZERO) if kost1.isdigit() else ZERO
            result.revenue.append((kost1, net, exported_revenue.get(kost1, ZERO)))
        salary_accounts = {
            self.accounts.purpose[p]
            for p in (
                DatevPurpose.SALARIES,
                DatevPurpose.SOCIAL_COSTS,
                DatevPurpose.ACCIDENT_INSURANCE,
            )
        }
        budget_debits = dict(
            Entry.objects.filter(
                transaction__booking_date__range=(self.start, self.end),
                account__kind=AccountKind.MEMBER_BUDGET,
            )
            .filter(
                Q(transaction__source_type=SourceType.PAYROLL_LINE)
                | Q(transaction__reverses__source_type=SourceType.PAYROLL_LINE)
            )
            .values_list("account__member__member_number")
            .annotate(total=Sum("amount"))
        )
        exported_salaries: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for (account, kost1), value in self.effects.items():
            if account in salary_accounts:
                exported_salaries[kost1] += value
        for kost1 in sorted(set(exported_salaries) | {str(m) for m in budget_debits}, key=_numeric):
            cost = budget_debits.get(int(kost1), ZERO) if kost1.isdigit() else ZERO
            result.salaries.append((kost1, cost, exported_salaries.get(kost1, ZERO)))
        return result


def _numeric(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


def fiscal_years(start: date, end: date, first_month: int) -> list[tuple[date, date, date]]:
    """(fiscal year start, from, to) for each fiscal year and calendar year the period touches:
    a DATEV batch holds days of one fiscal year and one calendar year."""
    parts = []
    day = start
    while day <= end:
        year_start = date(day.year if day.month >= first_month else day.year - 1, first_month, 1)
        next_year = year_start.replace(year=year_start.year + 1)
        part_end = min(end, next_year - _ONE_DAY, date(day.year, 12, 31))
        parts.append((year_start, day, part_end))
        day = part_end + _ONE_DAY
    return parts


def debtor_records(client_ids: Iterable[int] | None = None) -> list[datev.Debtor]:
    from invoicing.models import Client

    clients = Client.objects.filter(debtor_number__isnull=False).order_by("debtor_number")
    if client_ids is not None:
        clients = clients.filter(pk__in=list(client_ids))
    return [
        datev.Debtor(
            number=str(client.debtor_number),
            name=client.name,
            is_company=client.kind != Client.Kind.CONSUMER,
            street=client.street,
            postal_code=client.postal_code,
            city=client.city,
            country=client.country,
            vat_id=client.vat_id,
            email=client.invoice_email,
            language=client.language,
            payment_terms_days=client.payment_terms_days,
            client_reference=str(client.pk),
        )
        for client in clients
    ]
