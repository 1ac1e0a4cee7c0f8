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
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from banking.matching import open_invoices
from core.exceptions import ApplicationError
from core.notify import queue_notice_with_files, send_notice
from core.pdf import render_pdf
from core.references import rf_format
from dunning.interest import SURCHARGE_BUSINESS, SURCHARGE_CONSUMER, default_interest
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
from webhooks import events as webhook_events

ZERO = Decimal("0.00")
PAY_WITHIN_DAYS = 10
CONSUMER_GRACE_DAYS = 30  # § 286 (3) BGB, with the notice printed on every consumer invoice
LETTER_BATCH = 100  # reminders per letter task


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
            webhook_events.reminder_sent(reminder)
    except IntegrityError:
        return False
    return True


def reminders_send(*, reminder_ids: list[int]) -> int:
    return sum(1 for reminder_id in reminder_ids if reminder_send(reminder_id=reminder_id))


def reminders_send_pending() -> int:
    """Letters whose task was lost (broker down, worker killed): the sweeper sends them."""
    ids = list(
        Reminder.objects.filter(letter__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    return reminders_send(reminder_ids=ids)


def _fee(
    *, level: int, consumer: bool, on: date, default_start: date, any_fee: bool, policy
) -> Decimal:
    if level == Level.REMINDER:
        return ZERO
    if consumer:
        # Only the cost of letters after default, never the one that causes it.
        return policy.consumer_letter_fee if on >= default_start else ZERO
    return ZERO if any_fee else policy.business_flat_fee


def _due_level(overdue_days: int, policy: DunningPolicy) -> int:
    if overdue_days >= policy.final_days:
        return Level.FINAL
    if overdue_days >= policy.first_days:
        return Level.FIRST
    return Level.REMINDER


def _paused():
    return Pause.objects.filter(ended_at__isnull=True).values("invoice_id")


def _check_base_rates(*, policy: DunningPolicy, on: date) -> None:
    """Interest for a day without a configured base rate is refused, never guessed: before
    anything is written, find an open overdue invoice in default before the first rate."""
    first = BaseRate.objects.order_by("valid_from").values_list("valid_from", flat=True).first()
    latest_due = on - timedelta(days=policy.reminder_days)
    old = open_invoices().filter(due_date__lte=latest_due)
    if first is not None:
        old = old.filter(due_date__lt=first - timedelta(days=1))
    for invoice in old.exclude(pk__in=_paused()).order_by("due_date")[:50]:
        start = default_from(invoice)
        if start < on and invoice.gross_total + invoice.corrected - invoice.paid > 0:
            raise ApplicationError(
                _("No base rate is configured for %(day)s; the operator adds it first.")
                % {"day": start},
                code="base_rate_missing",
            )


# The run in one statement (PostgreSQL): candidates with their open amount and dunning history,
# the level each is due for, the fee, and the default interest per base-rate period — summed
# exactly and divided once, so rounding half-up to the cent happens at one stated point, as in
# dunning.interest (a test holds both to the same results). The unique (invoice, level) index
# decides between concurrent runs: ON CONFLICT DO NOTHING.
_RUN_SQL = """
WITH rates AS (
    SELECT valid_from,
           coalesce(lead(valid_from) OVER (ORDER BY valid_from) - 1, DATE '9999-12-31')
               AS valid_to,
           rate
    FROM dunning_baserate
), candidates AS (
    SELECT i.id, i.cooperative_id, i.due_date,
           coalesce(i.buyer ->> 'kind', '') = 'consumer' AS consumer,
           i.gross_total + coalesce(k.total, 0) - coalesce(m.total, 0) AS open_amount,
           h.last_level, h.last_pay_by, coalesce(h.fees, 0) AS fees,
           coalesce(h.any_fee, false) AS any_fee
    FROM invoicing_invoice i
    LEFT JOIN (
        SELECT c.corrects_id, sum(c.gross_total) AS total FROM invoicing_invoice c
        WHERE c.corrects_id IS NOT NULL AND c.status = 'issued' GROUP BY c.corrects_id
    ) k ON k.corrects_id = i.id
    LEFT JOIN (
        SELECT a.invoice_id, sum(a.amount) AS total FROM banking_allocation a
        WHERE a.invoice_id IS NOT NULL AND a.undone_at IS NULL GROUP BY a.invoice_id
    ) m ON m.invoice_id = i.id
    LEFT JOIN (
        SELECT r.invoice_id, max(r.level) AS last_level, max(r.pay_by) AS last_pay_by,
               sum(r.fee) AS fees, bool_or(r.fee > 0) AS any_fee
        FROM dunning_reminder r GROUP BY r.invoice_id
    ) h ON h.invoice_id = i.id
    WHERE i.cooperative_id = %(cooperative)s AND i.status = 'issued' AND i.kind = 'invoice'
      AND i.due_date <= %(latest_due)s
      AND NOT EXISTS (SELECT 1 FROM dunning_pause p
                      WHERE p.invoice_id = i.id AND p.ended_at IS NULL)
), chosen AS (
    SELECT c.*, coalesce(c.last_level, 0) + 1 AS level,
           c.due_date + CASE WHEN c.consumer THEN %(consumer_grace)s + 1 ELSE 1 END
               AS default_from
    FROM candidates c
    WHERE c.open_amount > 0 AND c.open_amount >= %(minimum)s
      AND (c.last_pay_by IS NULL OR c.last_pay_by < %(on)s)
      AND coalesce(c.last_level, 0) + 1 <= CASE
            WHEN %(on)s - c.due_date >= %(final_days)s THEN 3
            WHEN %(on)s - c.due_date >= %(first_days)s THEN 2
            ELSE 1 END
      AND (coalesce(c.last_level, 0) + 1 < 3 OR EXISTS (
            SELECT 1 FROM dunning_confirmation f
            WHERE f.invoice_id = c.id AND f.step = 'final'))
), priced AS (
    SELECT ch.*,
           CASE WHEN ch.level = 1 THEN 0
                WHEN ch.consumer THEN CASE WHEN %(on)s >= ch.default_from
                                           THEN %(consumer_fee)s ELSE 0 END
                WHEN ch.any_fee THEN 0
                ELSE %(business_fee)s END AS fee
    FROM chosen ch
), interest AS (
    SELECT p.id,
           round(sum(p.open_amount * (r.rate + s.surcharge) * (
                   least(%(last_day)s, r.valid_to) - greatest(p.default_from, r.valid_from) + 1
               )) / 36500, 2) AS amount,
           jsonb_agg(jsonb_build_object(
               'from', to_char(greatest(p.default_from, r.valid_from), 'YYYY-MM-DD'),
               'to', to_char(least(%(last_day)s, r.valid_to), 'YYYY-MM-DD'),
               'days', least(%(last_day)s, r.valid_to) - greatest(p.default_from, r.valid_from) + 1,
               'rate', (r.rate + s.surcharge)::text,
               'base', p.open_amount::text
           ) ORDER BY r.valid_from) AS detail
    FROM priced p
    CROSS JOIN LATERAL (SELECT CASE WHEN p.consumer THEN %(surcharge_consumer)s
                                    ELSE %(surcharge_business)s END AS surcharge) s
    JOIN rates r ON r.valid_from <= %(last_day)s AND r.valid_to >= p.default_from
    WHERE p.default_from <= %(last_day)s
    GROUP BY p.id
)
INSERT INTO dunning_reminder (cooperative_id, invoice_id, level, dated, pay_by, open_amount,
                              interest, interest_detail, fee, total, created_at)
SELECT p.cooperative_id, p.id, p.level, %(on)s, %(pay_by)s, p.open_amount,
       coalesce(n.amount, 0), coalesce(n.detail, '[]'::jsonb), p.fee,
       p.open_amount + coalesce(n.amount, 0) + p.fees + p.fee, now()
FROM priced p LEFT JOIN interest n ON n.id = p.id
ON CONFLICT (invoice_id, level) DO NOTHING
RETURNING id
"""


def _reminders_create_set_based(
    *, cooperative: Cooperative, policy: DunningPolicy, on: date
) -> list[int]:
    params = {
        "cooperative": cooperative.pk,
        "on": on,
        "last_day": on - timedelta(days=1),
        "pay_by": on + timedelta(days=PAY_WITHIN_DAYS),
        "latest_due": on - timedelta(days=policy.reminder_days),
        "consumer_grace": CONSUMER_GRACE_DAYS,
        "minimum": policy.minimum_open_amount,
        "first_days": policy.first_days,
        "final_days": policy.final_days,
        "consumer_fee": policy.consumer_letter_fee,
        "business_fee": policy.business_flat_fee,
        "surcharge_consumer": SURCHARGE_CONSUMER,
        "surcharge_business": SURCHARGE_BUSINESS,
    }
    with connection.cursor() as cursor:
        cursor.execute(_RUN_SQL, params)
        return [row[0] for row in cursor.fetchall()]


def _reminders_create_each(*, policy: DunningPolicy, on: date) -> list[int]:
    """The same decisions one invoice at a time, for the embedded SQLite demo database (and as
    the readable statement of the rules the set-based path is tested against)."""
    candidates = (
        open_invoices()
        .filter(due_date__lte=on - timedelta(days=policy.reminder_days))
        .exclude(pk__in=_paused())
        .annotate(last_level=Max("reminders__level"), last_pay_by=Max("reminders__pay_by"))
        .order_by("due_date", "pk")
    )
    confirmed = set(
        Confirmation.objects.filter(step=Confirmation.Step.FINAL).values_list(
            "invoice_id", flat=True
        )
    )
    created = []
    for invoice in candidates.iterator(chunk_size=500):
        open_amount = invoice.gross_total + invoice.corrected - invoice.paid
        if open_amount <= 0 or open_amount < policy.minimum_open_amount:
            continue
        level = (invoice.last_level or 0) + 1
        # Each letter sets a new payment date: the next level waits until it has passed, so a
        # second run on the same day (or a catch-up run) never sends two levels at once.
        if invoice.last_pay_by is not None and on <= invoice.last_pay_by:
            continue
        if level > _due_level((on - invoice.due_date).days, policy):
            continue
        if level == Level.FINAL and invoice.pk not in confirmed:
            continue
        earlier = list(Reminder.objects.filter(invoice=invoice))
        claim = claim_as_of(invoice=invoice, open_amount=open_amount, on=on)
        fee = _fee(
            level=level,
            consumer=invoice.buyer.get("kind") == "consumer",
            on=on,
            default_start=claim["default_from"],
            any_fee=any(r.fee > 0 for r in earlier),
            policy=policy,
        )
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
            total=open_amount + claim["interest"] + sum((r.fee for r in earlier), ZERO) + fee,
        )
        try:
            with transaction.atomic():
                reminder.save()
        except IntegrityError:
            if Reminder.objects.filter(invoice=invoice, level=level).exists():
                continue  # another run created this level first
            raise
        created.append(reminder.pk)
    return created


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


def _escalations_create(*, policy: DunningPolicy, on: date) -> int:
    """Court dunning for invoices whose final Mahnung went unanswered long enough and whose
    member agreed (or staff decided) — few per day, one at a time."""
    due = (
        open_invoices()
        .filter(
            reminders__level=Level.FINAL,
            reminders__dated__lte=on - timedelta(days=policy.escalation_days),
            dunning_confirmations__step=Confirmation.Step.ESCALATION,
            escalation__isnull=True,
        )
        .exclude(pk__in=_paused())
        .order_by("due_date", "pk")
    )
    created = 0
    for invoice in due:
        open_amount = invoice.gross_total + invoice.corrected - invoice.paid
        if open_amount <= 0 or open_amount < policy.minimum_open_amount:
            continue
        reminders = list(Reminder.objects.filter(invoice=invoice).order_by("level"))
        if _escalate(invoice, on, open_amount, reminders):
            created += 1
    return created


def dunning_run(*, cooperative: Cooperative, on: date) -> RunResult:
    """Create the next due reminder for every overdue invoice whose last letter's payment date
    has passed, and escalations where the final Mahnung went unanswered and the member
    agreed. Letters are rendered and sent by workers after commit, in batches."""
    from dunning import tasks

    policy = policy_for(cooperative=cooperative)
    result = RunResult()
    if not policy.enabled:
        return result
    _check_base_rates(policy=policy, on=on)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            created = _reminders_create_set_based(cooperative=cooperative, policy=policy, on=on)
        else:
            created = _reminders_create_each(policy=policy, on=on)
        for start in range(0, len(created), LETTER_BATCH):
            enqueue_on_commit(
                tasks.reminders_send, cooperative.pk, created[start : start + LETTER_BATCH]
            )
    result.reminders_created = len(created)
    result.escalations = _escalations_create(policy=policy, on=on)
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
