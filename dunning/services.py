"""The dunning run and the actions around it.

`dunning_run` is idempotent per (invoice, level): the unique constraint decides, so a second run
the same day, or a second worker at the same time, creates nothing more (R9). One level per
invoice and run, never skipping one; the final Mahnung and the court dunning step wait for the
member's confirmation (or a staff decision with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from banking.matching import open_invoices
from core.exceptions import ApplicationError
from core.notify import queue_notice_with_files, send_notice
from core.pdf import render_pdf
from core.references import rf_format
from dunning.interest import default_interest
from dunning.models import (
    BaseRate,
    Confirmation,
    DunningPolicy,
    Escalation,
    Level,
    Pause,
    Reminder,
    ReminderLetter,
)
from invoicing.models import Invoice
from tenancy.models import Cooperative, User
from tenancy.tasks import enqueue_on_commit

ZERO = Decimal("0.00")
PAY_WITHIN_DAYS = 10
CONSUMER_GRACE_DAYS = 30  # § 286 (3) BGB, with the notice printed on every consumer invoice


@dataclass
class RunResult:
    reminders_created: int = 0
    escalations: int = 0

    def line(self) -> str:
        return f"reminders_created={self.reminders_created} escalations={self.escalations}"


def policy_for(*, cooperative: Cooperative) -> DunningPolicy:
    return DunningPolicy.objects.filter(cooperative=cooperative).first() or DunningPolicy(
        cooperative=cooperative
    )


def default_from(invoice: Invoice) -> date:
    """First day of default: the day after the due date between businesses (a date set on the
    invoice); for consumers 30 days after it (§ 286 (3) BGB, notice on the invoice)."""
    grace = CONSUMER_GRACE_DAYS if invoice.buyer.get("kind") == "consumer" else 0
    return invoice.due_date + timedelta(days=grace + 1)


def claim_as_of(*, invoice: Invoice, open_amount: Decimal, on: date) -> dict:
    rates = list(BaseRate.objects.values_list("valid_from", "rate"))
    start = default_from(invoice)
    try:
        interest, periods = default_interest(
            principal=open_amount,
            default_from=start,
            until=on,
            base_rates=rates,
            consumer=invoice.buyer.get("kind") == "consumer",
        )
    except LookupError as exc:
        raise ApplicationError(
            _("No base rate is configured for %(day)s; the operator adds it first.")
            % {"day": start},
            code="base_rate_missing",
        ) from exc
    return {
        "default_from": start,
        "interest": interest,
        "periods": [
            {
                "from": p.start.isoformat(),
                "to": p.end.isoformat(),
                "days": p.days,
                "rate": str(p.rate),
                "base": str(open_amount),
            }
            for p in periods
        ],
    }


def _fee(invoice: Invoice, level: int, dated: date, policy: DunningPolicy, earlier) -> Decimal:
    if level == Level.REMINDER:
        return ZERO
    if invoice.buyer.get("kind") == "consumer":
        # Only the cost of letters after default, never the one that causes it.
        return policy.consumer_letter_fee if dated >= default_from(invoice) else ZERO
    already = any(r.fee > 0 for r in earlier)
    return ZERO if already else policy.business_flat_fee


def _letter(invoice: Invoice, reminder: Reminder, earlier: list[Reminder]) -> bytes:
    with translation.override(invoice.language or "de"):
        return render_pdf(
            "pdf/reminder.html",
            {
                "invoice": invoice,
                "reminder": reminder,
                "earlier_fees": sum((r.fee for r in earlier), ZERO),
                "rf_formatted": rf_format(invoice.rf_reference),
                "cooperative": invoice.cooperative,
            },
        )


def _notify(invoice: Invoice, reminder: Reminder, letter: bytes) -> None:
    language = invoice.language or "de"
    with translation.override(language):
        level = reminder.get_level_display()
        subject = _("%(level)s: invoice %(number)s") % {
            "level": level,
            "number": invoice.number_text,
        }
        paragraphs = [
            _("Dear Sir or Madam,"),
            _(
                "according to our records invoice %(number)s of %(date)s has not been paid "
                "in full. Please find our letter attached."
            )
            % {"number": invoice.number_text, "date": invoice.issue_date},
            _("Please pay %(total)s € by %(date)s, quoting %(ref)s.")
            % {"total": reminder.total, "date": reminder.pay_by, "ref": invoice.rf_reference},
        ]
    queue_notice_with_files(
        to=invoice.buyer.get("email") or invoice.client.invoice_email,
        language=language,
        cooperative=invoice.cooperative,
        subject=subject,
        paragraphs=paragraphs,
        attachments=[(f"{invoice.number_text}-{reminder.level}.pdf", letter, "application/pdf")],
        reply_to=invoice.seller.get("contact_email", ""),
    )
    member = invoice.member
    member_language = member.user.language or invoice.cooperative.default_language
    with translation.override(member_language):
        member_subject = _("%(level)s sent for invoice %(number)s") % {
            "level": reminder.get_level_display(),
            "number": invoice.number_text,
        }
        lines = [
            _("%(client)s has not paid %(open)s € yet; we have sent them a %(level)s.")
            % {
                "client": invoice.client.name,
                "open": reminder.open_amount,
                "level": reminder.get_level_display(),
            }
        ]
        if reminder.level == Level.FIRST:
            lines.append(
                _(
                    "Before the final Mahnung we need your confirmation: please confirm it on "
                    "the invoice page (or tell us about any agreement with the client)."
                )
            )
    send_notice(
        to=member.user.email,
        language=member_language,
        cooperative=invoice.cooperative,
        subject=member_subject,
        paragraphs=lines,
        link=f"{settings.SMARTCOOP_BASE_URL.rstrip('/')}/invoices/{invoice.pk}/",
    )


def reminder_send(*, reminder_id: int) -> bool:
    """Render the letter and queue the e-mails of one reminder, once: the letter row and the
    outbox rows commit together, and a second worker's insert of the letter fails."""
    reminder = (
        Reminder.objects.select_related(
            "invoice__client", "invoice__member__user", "invoice__cooperative"
        )
        .filter(pk=reminder_id, letter__isnull=True)
        .first()
    )
    if reminder is None:
        return False
    invoice = reminder.invoice
    earlier = list(Reminder.objects.filter(invoice=invoice, level__lt=reminder.level))
    content = _letter(invoice, reminder, earlier)  # rendered outside the transaction
    try:
        with transaction.atomic():
            ReminderLetter.objects.create(
                cooperative_id=reminder.cooperative_id, reminder=reminder, content=content
            )
            _notify(invoice, reminder, content)
    except IntegrityError:
        return False
    return True


def reminders_send_pending() -> int:
    """Letters whose task was lost (broker down, worker killed): the sweeper sends them."""
    ids = list(
        Reminder.objects.filter(letter__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    return sum(1 for reminder_id in ids if reminder_send(reminder_id=reminder_id))


def _create_reminder(invoice, level, on, open_amount, policy, earlier) -> Reminder | None:
    claim = claim_as_of(invoice=invoice, open_amount=open_amount, on=on)
    fee = _fee(invoice, level, on, policy, earlier)
    fees = sum((r.fee for r in earlier), ZERO) + fee
    reminder = Reminder(
        cooperative_id=invoice.cooperative_id,
        invoice=invoice,
        level=level,
        dated=on,
        pay_by=on + timedelta(days=PAY_WITHIN_DAYS),
        open_amount=open_amount,
        interest=claim["interest"],
        interest_detail=claim["periods"],
        fee=fee,
        total=open_amount + claim["interest"] + fees,
    )
    try:
        with transaction.atomic():
            reminder.save()
    except IntegrityError:
        if Reminder.objects.filter(invoice=invoice, level=level).exists():
            return None  # another run created this level first
        raise
    from dunning import tasks

    enqueue_on_commit(tasks.reminder_send, invoice.cooperative_id, reminder.pk)
    return reminder


def _escalate(invoice, on, open_amount, reminders) -> Escalation | None:
    claim = claim_as_of(invoice=invoice, open_amount=open_amount, on=on)
    costs = sum((r.fee for r in reminders), ZERO)
    buyer, seller = invoice.buyer, invoice.seller
    data = {
        "creditor": {k: seller.get(k, "") for k in ("name", "street", "postal_code", "city")},
        "creditor_register": seller.get("register", ""),
        "debtor": {
            k: buyer.get(k, "") for k in ("name", "street", "postal_code", "city", "country")
        },
        "debtor_is_consumer": buyer.get("kind") == "consumer",
        "claim": {
            "invoice": invoice.number_text,
            "invoice_date": invoice.issue_date.isoformat(),
            "main_claim": str(open_amount),
            "interest_from": claim["default_from"].isoformat(),
            "interest_rate": "base rate + 5"
            if buyer.get("kind") == "consumer"
            else "base rate + 9",
            "interest_to_date": str(claim["interest"]),
            "dunning_costs": str(costs),
        },
        "reminders": [
            {"level": r.level, "dated": r.dated.isoformat(), "fee": str(r.fee)} for r in reminders
        ],
    }
    try:
        with transaction.atomic():
            return Escalation.objects.create(
                cooperative_id=invoice.cooperative_id,
                invoice=invoice,
                dated=on,
                claim=open_amount,
                interest=claim["interest"],
                costs=costs,
                data=data,
            )
    except IntegrityError:
        return None


def dunning_run(*, cooperative: Cooperative, on: date) -> RunResult:
    """Create the next due reminder for every overdue invoice whose last letter's payment date
    has passed, and escalations where the final Mahnung went unanswered and the member
    agreed."""
    policy = policy_for(cooperative=cooperative)
    result = RunResult()
    if not policy.enabled:
        return result
    paused = set(Pause.objects.filter(ended_at__isnull=True).values_list("invoice_id", flat=True))
    candidates = (
        open_invoices()
        .filter(due_date__lte=on - timedelta(days=policy.reminder_days))
        .exclude(pk__in=paused)
        .select_related("client", "member__user", "cooperative")
        .annotate(last_level=Max("reminders__level"), last_pay_by=Max("reminders__pay_by"))
        .order_by("due_date", "pk")
    )
    confirmed = {
        (invoice_id, step)
        for invoice_id, step in Confirmation.objects.values_list("invoice_id", "step")
    }
    escalated = set(Escalation.objects.values_list("invoice_id", flat=True))
    for invoice in candidates.iterator(chunk_size=500):
        open_amount = invoice.gross_total + invoice.corrected - invoice.paid
        if open_amount < policy.minimum_open_amount:
            continue
        overdue = (on - invoice.due_date).days
        due_level = (
            Level.FINAL
            if overdue >= policy.final_days
            else Level.FIRST
            if overdue >= policy.first_days
            else Level.REMINDER
        )
        next_level = (invoice.last_level or 0) + 1
        # Each letter sets a new payment date: the next level waits until it has passed, so a
        # second run on the same day (or a catch-up run) never sends two levels at once.
        waiting = invoice.last_pay_by is not None and on <= invoice.last_pay_by
        with transaction.atomic():
            if next_level <= due_level and not waiting:
                if next_level == Level.FINAL and (invoice.pk, "final") not in confirmed:
                    continue
                earlier = list(Reminder.objects.filter(invoice=invoice).order_by("level"))
                if _create_reminder(invoice, next_level, on, open_amount, policy, earlier):
                    result.reminders_created += 1
            elif (
                invoice.last_level == Level.FINAL
                and invoice.pk not in escalated
                and (invoice.pk, "escalation") in confirmed
            ):
                reminders = list(Reminder.objects.filter(invoice=invoice).order_by("level"))
                final = reminders[-1]
                if (on - final.dated).days >= policy.escalation_days and _escalate(
                    invoice, on, open_amount, reminders
                ):
                    result.escalations += 1
    return result


def dunning_pause(*, invoice: Invoice, actor: User, reason: str) -> Pause:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason."), code="reason_required")
    try:
        with transaction.atomic():
            return Pause.objects.create(
                cooperative_id=invoice.cooperative_id,
                invoice=invoice,
                reason=reason[:300],
                paused_by=actor,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            _("Dunning is already paused for this invoice."), code="paused"
        ) from exc


def dunning_resume(*, invoice: Invoice, actor: User) -> None:
    updated = Pause.objects.filter(invoice=invoice, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    if not updated:
        raise ApplicationError(_("Dunning is not paused for this invoice."), code="not_paused")


def dunning_confirm(
    *, invoice: Invoice, step: str, actor: User, staff_reason: str = ""
) -> Confirmation:
    """The member agrees to the next hard step; staff may decide instead, with a reason."""
    if step not in Confirmation.Step.values:
        raise ApplicationError(_("Unknown step."), code="step")
    is_member = invoice.member.user_id == actor.pk
    if not is_member and not staff_reason.strip():
        raise ApplicationError(
            _("Staff deciding instead of the member must give a reason."), code="reason_required"
        )
    try:
        with transaction.atomic():
            return Confirmation.objects.create(
                cooperative_id=invoice.cooperative_id,
                invoice=invoice,
                step=step,
                confirmed_by=actor,
                staff_override_reason="" if is_member else staff_reason.strip()[:300],
            )
    except IntegrityError as exc:
        raise ApplicationError(_("This has already been confirmed."), code="confirmed") from exc
