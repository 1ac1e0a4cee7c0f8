"""Guarantee fund: eligibility, advances after a number of German working days, write-offs and
the fund's exposure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from banking.matching import open_amount, open_invoices
from core.exceptions import ApplicationError
from guarantee.models import Advance, ClientBlock, GuaranteePolicy, WriteOff
from invoicing.models import Client, Invoice, Job
from invoicing.services import EU
from ledger import services as ledger_services
from ledger.models import Account, AccountKind, FeeRule
from tenancy.models import Cooperative, User

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def policy_for(*, cooperative: Cooperative) -> GuaranteePolicy:
    return GuaranteePolicy.objects.filter(cooperative=cooperative).first() or GuaranteePolicy(
        cooperative=cooperative
    )


def working_days_after(start: date, days: int, state: str) -> date:
    """The date `days` German working days after `start` (Mon–Fri, not a public holiday of the
    state)."""
    import holidays

    calendar = holidays.Germany(subdiv=state or None, years=range(start.year, start.year + 2))
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            counted += 1
    return day


def eligibility(invoice: Invoice, policy: GuaranteePolicy) -> list[str]:
    """Why an invoice is not covered (empty: it is)."""
    reasons = []
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status != Invoice.Status.ISSUED:
        reasons.append(_("not an issued invoice"))
    job = invoice.job
    if (
        job is None
        or job.client_answered_at is None
        or job.status
        not in (
            Job.Status.CONFIRMED,
            Job.Status.APPROVED,
        )
    ):
        reasons.append(_("the client did not confirm the job online"))
    if invoice.buyer.get("country") not in EU:
        reasons.append(_("the client is outside the EU"))
    if ClientBlock.objects.filter(client_id=invoice.client_id).exists():
        reasons.append(_("the client is not covered any more"))
    if invoice.gross_total > policy.max_gross:
        reasons.append(_("above the amount limit"))
    return reasons


def _net_share(invoice: Invoice, open_gross: Decimal) -> Decimal:
    share = invoice.net_total * open_gross / invoice.gross_total if invoice.gross_total else ZERO
    return share.quantize(CENT, rounding=ROUND_HALF_UP)


def advances_run(*, cooperative: Cooperative, on: date) -> int:
    """Advance every covered invoice still unpaid the set number of working days after issue.
    Safe to run again: one advance per invoice."""
    policy = policy_for(cooperative=cooperative)
    if not policy.enabled:
        return 0
    done = 0
    advanced = set(Advance.objects.values_list("invoice_id", flat=True))
    # The rules that can be asked of the database are (only covered invoices old enough to be
    # due reach the loop): a daily run must not walk every open invoice.
    candidates = (
        open_invoices()
        .filter(
            issue_date__lte=on - timedelta(days=policy.working_days),
            gross_total__lte=policy.max_gross,
            job__client_answered_at__isnull=False,
            job__status__in=[Job.Status.CONFIRMED, Job.Status.APPROVED],
        )
        .exclude(client__guarantee_block__isnull=False)
        .exclude(pk__in=advanced)
        .select_related("job", "member", "member__cooperative")
        .order_by("issue_date", "pk")
    )
    for invoice in candidates.iterator(chunk_size=500):
        open_gross = invoice.gross_total + invoice.corrected - invoice.paid
        if open_gross <= 0 or eligibility(invoice, policy):
            continue
        if working_days_after(invoice.issue_date, policy.working_days, policy.holiday_state) > on:
            continue
        if ledger_services.fee_rule_for(member=invoice.member).charge_on == FeeRule.ChargeOn.ISSUE:
            continue  # fees on issue: the member's budget was credited at issue already
        try:
            with transaction.atomic():
                Advance.objects.create(
                    cooperative=cooperative,
                    invoice=invoice,
                    dated=on,
                    gross_open=open_gross,
                    net_advanced=_net_share(invoice, open_gross),
                )
                ledger_services.guarantee_post_advance(
                    member=invoice.member,
                    invoice_id=str(invoice.pk),
                    invoice_number=invoice.number_text,
                    net_share=_net_share(invoice, open_gross),
                    booking_date=on,
                    actor=None,
                )
        except IntegrityError:
            continue  # another run advanced it first
        done += 1
    return done


def write_off(*, invoice: Invoice, actor: User, reason: str, block_client: bool = True) -> WriteOff:
    """Staff write off an advanced invoice the client will not pay."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason."), code="reason_required")
    if not Advance.objects.filter(invoice=invoice).exists():
        raise ApplicationError(
            _("Only invoices the fund advanced are written off here."), code="not_advanced"
        )
    with transaction.atomic():
        ledger_services.ledger_lock(cooperative=invoice.cooperative)
        gross_open = open_amount(invoice)
        if gross_open <= 0:
            raise ApplicationError(_("Nothing is open on this invoice."), code="nothing_open")
        vat_open = {}
        for group in invoice.vat_breakdown:
            if group["category"] == "S":
                rate = Decimal(group["rate"])
                part = Decimal(group["vat"]) * gross_open / invoice.gross_total
                vat_open[rate] = vat_open.get(rate, ZERO) + part.quantize(CENT, ROUND_HALF_UP)
        try:
            written = WriteOff.objects.create(
                cooperative_id=invoice.cooperative_id,
                invoice=invoice,
                dated=timezone.localdate(),
                gross=gross_open,
                reason=reason[:300],
                written_off_by=actor,
            )
        except IntegrityError as exc:
            raise ApplicationError(_("This invoice is already written off."), code="done") from exc
        ledger_services.guarantee_post_write_off(
            cooperative=invoice.cooperative,
            invoice_id=str(invoice.pk),
            invoice_number=invoice.number_text,
            gross_open=gross_open,
            vat_by_rate_open=vat_open,
            booking_date=written.dated,
            actor=actor,
        )
        if block_client:
            ClientBlock.objects.get_or_create(
                cooperative_id=invoice.cooperative_id,
                client=invoice.client,
                defaults={
                    "reason": _("write-off of %(n)s") % {"n": invoice.number_text},
                    "blocked_by": actor,
                },
            )
    return written


def client_block(*, client: Client, actor: User, reason: str) -> ClientBlock:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason."), code="reason_required")
    block, _created = ClientBlock.objects.get_or_create(
        cooperative_id=client.cooperative_id,
        client=client,
        defaults={"reason": reason[:300], "blocked_by": actor},
    )
    return block


@dataclass
class Overview:
    fund: Decimal
    exposure: Decimal
    coverage: Decimal | None
    by_client: list[tuple[str, Decimal]]
    advances: int
    written_off: Decimal


def fund_overview(*, cooperative: Cooperative) -> Overview:
    """Fund balance against what it has advanced and not yet got back (exposure)."""
    fund_account = Account.objects.filter(
        cooperative=cooperative, kind=AccountKind.GUARANTEE_FUND, member__isnull=True
    ).first()
    fund = -(fund_account.balance if fund_account else ZERO)
    open_rows = {
        row["pk"]: row["gross_total"] + row["corrected"] - row["paid"]
        for row in open_invoices()
        .filter(guarantee_advance__isnull=False, guarantee_write_off__isnull=True)
        .values("pk", "gross_total", "corrected", "paid")
    }
    by_client: dict[str, Decimal] = {}
    exposure = ZERO
    for advance in Advance.objects.filter(invoice_id__in=open_rows).select_related(
        "invoice__client"
    ):
        still = open_rows[advance.invoice_id]
        if still <= 0:
            continue
        amount = (advance.net_advanced * still / advance.gross_open).quantize(CENT, ROUND_HALF_UP)
        exposure += amount
        name = advance.invoice.client.name
        by_client[name] = by_client.get(name, ZERO) + amount
    written = WriteOff.objects.aggregate(total=Sum("gross"))["total"] or ZERO
    return Overview(
        fund=fund,
        exposure=exposure,
        coverage=(fund / exposure).quantize(CENT) if exposure else None,
        by_client=sorted(by_client.items(), key=lambda item: -item[1]),
        advances=Advance.objects.count(),
        written_off=written,
    )
