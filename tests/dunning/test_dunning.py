"""Dunning stories: an unpaid business invoice goes through reminder, first and final Mahnung
(with the member's confirmation) to court dunning; runs are idempotent, also concurrently;
consumers pay no fee for the letter that causes default; a dispute pauses; payment stops it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from core.exceptions import ApplicationError
from core.models import OutboundEmail
from dunning import services
from dunning.models import Confirmation, Escalation, Reminder, ReminderLetter
from invoicing import invoice_services
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import draft, issue, line, make_client

pytestmark = pytest.mark.django_db
D = Decimal


def run(coop, on):
    with tenant_scope(coop):
        return services.dunning_run(cooperative=coop, on=on)


@pytest.fixture
def overdue(coop_a_ready, alice, sabine):
    client = make_client(alice)
    return issue(alice, draft(alice, client, [line(quantity="10", price="100.00")]), sabine)


def test_business_invoice_through_every_level_to_court_dunning(
    coop_a_ready, overdue, alice, sabine
):
    due = overdue.due_date
    assert run(coop_a_ready, due + timedelta(days=6)).reminders_created == 0
    assert run(coop_a_ready, due + timedelta(days=7)).line() == "reminders_created=1 escalations=0"
    assert run(coop_a_ready, due + timedelta(days=7)).reminders_created == 0  # same day again
    first = run(coop_a_ready, due + timedelta(days=21))
    assert first.reminders_created == 1
    with tenant_scope(coop_a_ready):
        mahnung = Reminder.objects.get(level=2)
        # 1,190.00 open; default from the day after the due date: 20 days at 1.27 + 9 %.
        expected = (D("1190.00") * D("10.27") / 100 * 20 / 365).quantize(D("0.01"))
        assert mahnung.interest == expected and mahnung.fee == D("40.00")
        assert mahnung.total == D("1190.00") + expected + D("40.00")
        # The letter is rendered after commit, once.
        assert services.reminder_send(reminder_id=mahnung.pk) is True
        assert services.reminder_send(reminder_id=mahnung.pk) is False
        assert ReminderLetter.objects.get(reminder=mahnung).content.startswith(b"%PDF")
    # The final Mahnung waits for the member.
    assert run(coop_a_ready, due + timedelta(days=35)).reminders_created == 0
    with tenant_scope(coop_a_ready):
        services.dunning_confirm(invoice=overdue, step="final", actor=alice.user)
    final_day = due + timedelta(days=36)
    assert run(coop_a_ready, final_day).reminders_created == 1
    with tenant_scope(coop_a_ready):
        final = Reminder.objects.get(level=3)
        assert final.fee == 0  # the 40 € flat fee is claimed once
        assert final.total == final.open_amount + final.interest + D("40.00")
    # Court dunning: after the waiting period and a decision (here staff, with a reason).
    assert run(coop_a_ready, final_day + timedelta(days=14)).escalations == 0
    with tenant_scope(coop_a_ready), pytest.raises(ApplicationError):
        services.dunning_confirm(invoice=overdue, step="escalation", actor=sabine.user)
    with tenant_scope(coop_a_ready):
        services.dunning_confirm(
            invoice=overdue,
            step="escalation",
            actor=sabine.user,
            staff_reason="Member unreachable for three weeks",
        )
    assert run(coop_a_ready, final_day + timedelta(days=13)).escalations == 0
    assert run(coop_a_ready, final_day + timedelta(days=14)).escalations == 1
    assert run(coop_a_ready, final_day + timedelta(days=15)).escalations == 0
    with tenant_scope(coop_a_ready):
        escalation = Escalation.objects.get()
        assert escalation.claim == D("1190.00") and escalation.costs == D("40.00")
        assert escalation.data["debtor"]["name"] == "Atelier Nord GmbH"
        assert escalation.data["claim"]["interest_rate"] == "base rate + 9"
        assert Confirmation.objects.get(step="escalation").staff_override_reason


def test_letters_go_to_the_client_and_notices_to_the_member(
    coop_a_ready, overdue, alice, mailoutbox
):
    run(coop_a_ready, overdue.due_date + timedelta(days=7))
    with tenant_scope(coop_a_ready):
        assert services.reminders_send_pending() == 1  # what the worker (or the sweeper) does
        assert services.reminders_send_pending() == 0
    to_client = OutboundEmail.objects.filter(to=["rechnung@atelier.example"])
    assert to_client.filter(subject__contains=overdue.number_text).count() >= 1
    reminder_mail = [m for m in to_client if m.attachments.exists()][-1]
    assert reminder_mail.attachments.get().filename.endswith("-1.pdf")
    # Notices go through Django's mail API (the test runner's outbox here).
    assert [m for m in mailoutbox if m.to == [alice.email] and overdue.number_text in m.subject]


def test_consumers_pay_no_fee_before_default(coop_a_ready, alice, sabine):
    consumer = make_client(alice, kind="consumer", name="Eva Muster", vat_id="")
    invoice = issue(alice, draft(alice, consumer, [line(price="500.00")]), sabine)
    due = invoice.due_date
    run(coop_a_ready, due + timedelta(days=7))
    run(coop_a_ready, due + timedelta(days=21))
    with tenant_scope(coop_a_ready):
        first = Reminder.objects.get(level=2)
        assert (first.fee, first.interest) == (D("0.00"), D("0.00"))  # not yet in default
        services.dunning_confirm(invoice=invoice, step="final", actor=alice.user)
    run(coop_a_ready, due + timedelta(days=40))
    with tenant_scope(coop_a_ready):
        final = Reminder.objects.get(level=3)
        assert final.fee == D("1.50")
        # Default from due + 31 days, 9 days to the letter, base rate + 5.
        assert final.interest == (D("595.00") * D("6.27") / 100 * 9 / 365).quantize(D("0.01"))


def test_a_dispute_pauses_and_payment_stops_dunning(coop_a_ready, overdue, sabine):
    from banking.models import Allocation, BankAccount, BankStatement, BankTransaction

    with tenant_scope(coop_a_ready):
        services.dunning_pause(invoice=overdue, actor=sabine.user, reason="Client disputes hours")
        with pytest.raises(ApplicationError):
            services.dunning_pause(invoice=overdue, actor=sabine.user, reason="again")
    assert run(coop_a_ready, overdue.due_date + timedelta(days=8)).reminders_created == 0
    with tenant_scope(coop_a_ready):
        services.dunning_resume(invoice=overdue, actor=sabine.user)
        account = BankAccount.objects.create(
            cooperative=coop_a_ready, name="Main", iban="DE89370400440532013000"
        )
        statement = BankStatement.objects.create(
            cooperative=coop_a_ready, account=account, format="camt053", sha256="x"
        )
        paid = BankTransaction.objects.create(
            cooperative=coop_a_ready,
            account=account,
            statement=statement,
            booking_date=overdue.due_date,
            amount=D("1190.00"),
            dedupe_key="k",
        )
        Allocation.objects.create(
            cooperative=coop_a_ready,
            transaction=paid,
            invoice=overdue,
            amount=D("1190.00"),
            method="manual",
            explanation="test",
        )
    assert run(coop_a_ready, overdue.due_date + timedelta(days=30)).reminders_created == 0


def test_run_dunning_command(coop_a_ready, overdue):
    out = StringIO()
    day = (overdue.due_date + timedelta(days=7)).isoformat()
    call_command("run_dunning", cooperative=coop_a_ready.slug, date=day, stdout=out)
    assert out.getvalue().strip() == "reminders_created=1 escalations=0"
    out = StringIO()
    call_command("run_dunning", date=day, stdout=out)
    assert out.getvalue().strip() == "reminders_created=0 escalations=0"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_dunning", date="21.11.2026")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_create_one_reminder_per_level(coop_a_ready, overdue, monkeypatch):
    """Worker A has written its reminders and not yet committed when worker B runs: B's insert
    waits on the unique (invoice, level) index and then adds nothing."""
    import threading
    import time

    from django.db import connection

    day = overdue.due_date + timedelta(days=7)
    written = threading.Event()
    original = services._reminders_create_set_based

    def slow_to_commit(**kwargs):
        ids = original(**kwargs)
        if threading.current_thread().name == "A":
            written.set()
            time.sleep(1)  # B is blocked on the index meanwhile
        return ids

    monkeypatch.setattr(services, "_reminders_create_set_based", slow_to_commit)
    results = {}

    def worker(name):
        try:
            if name == "B":
                written.wait(10)
            results[name] = run(coop_a_ready, day).reminders_created
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,), name=n) for n in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == {"A": 1, "B": 0}
    with tenant_scope(coop_a_ready):
        assert Reminder.objects.filter(invoice=overdue).count() == 1


@pytest.mark.postgres
def test_the_set_based_run_decides_as_the_rules_read_one_invoice_at_a_time(
    coop_a_ready, alice, sabine
):
    """Business and consumer invoices, a partial payment, a credit note, a confirmation, a
    dispute and a base-rate change inside the interest period: day by day, the one-statement run
    (PostgreSQL) writes exactly the reminders the readable per-invoice rules do."""
    from dunning.models import BaseRate

    BaseRate.objects.create(valid_from=date(2027, 1, 1), rate=D("2.13"))
    business = make_client(alice)
    consumer = make_client(alice, kind="consumer", name="Eva Muster", vat_id="")
    invoices = [
        issue(alice, draft(alice, business, [line(quantity="10", price="100.00")]), sabine),
        issue(alice, draft(alice, consumer, [line(price="333.33")]), sabine),
        issue(alice, draft(alice, business, [line(price="0.70")]), sabine),  # below 1 €
        issue(
            alice,
            draft(alice, business, [line(quantity="3", price="77.77")], payment_terms_days=30),
            sabine,
        ),
        issue(alice, draft(alice, consumer, [line(quantity="7", price="12.34")]), sabine),
    ]
    with tenant_scope(coop_a_ready):
        _pay(coop_a_ready, invoices[0], D("200.00"))
        invoice_services.invoice_credit_note(
            invoice=invoices[3],
            actor=sabine.user,
            reason="One hour less",
            lines=[line(price="77.77")],
        )
        services.dunning_pause(invoice=invoices[4], actor=sabine.user, reason="Disputed")
        for invoice in invoices[:2]:
            services.dunning_confirm(invoice=invoice, step="final", actor=alice.user)

    def fields(ids):
        return sorted(
            Reminder.objects.filter(pk__in=ids).values_list(
                "invoice_id",
                "level",
                "dated",
                "pay_by",
                "open_amount",
                "interest",
                "interest_detail",
                "fee",
                "total",
            )
        )

    start = invoices[0].due_date
    written = 0
    for offset in range(0, 90, 3):
        day = start + timedelta(days=offset)
        with tenant_scope(coop_a_ready):
            policy = services.policy_for(cooperative=coop_a_ready)
            with transaction.atomic():
                ids = services._reminders_create_set_based(
                    cooperative=coop_a_ready, policy=policy, on=day
                )
                set_based = fields(ids)
                transaction.set_rollback(True)
            with transaction.atomic():
                each = fields(services._reminders_create_each(policy=policy, on=day))
        assert set_based == each, day
        written += len(each)
    with tenant_scope(coop_a_ready):
        levels = sorted(Reminder.objects.values_list("invoice_id", "level"))
        split = Reminder.objects.filter(invoice=invoices[0], level=3).get()
    assert written == len(levels) == 8  # 3 + 3 + 0 (below the minimum) + 2 (unconfirmed) + 0
    assert [p["rate"] for p in split.interest_detail] == ["10.27", "11.13"]


def _pay(coop, invoice, amount):
    from banking.models import BankAccount, BankStatement, BankTransaction
    from banking.services import allocation_create

    account = BankAccount.objects.create(
        cooperative=coop, name="Main", iban="DE89370400440532013000"
    )
    statement = BankStatement.objects.create(
        cooperative=coop, account=account, format="camt053", sha256="y"
    )
    paid = BankTransaction.objects.create(
        cooperative=coop,
        account=account,
        statement=statement,
        booking_date=invoice.issue_date,
        amount=amount,
        dedupe_key="part",
    )
    allocation_create(
        bank_transaction=paid,
        invoice=invoice,
        amount=amount,
        method="manual",
        explanation="test",
        actor=None,
    )


def test_a_catch_up_run_sends_one_level_and_waits_for_the_new_payment_date(coop_a_ready, overdue):
    late = overdue.due_date + timedelta(days=40)
    assert run(coop_a_ready, late).reminders_created == 1
    assert run(coop_a_ready, late).reminders_created == 0  # twice on the same day
    with tenant_scope(coop_a_ready):
        first = Reminder.objects.get()
    assert run(coop_a_ready, first.pay_by).reminders_created == 0
    assert run(coop_a_ready, first.pay_by + timedelta(days=1)).reminders_created == 1


def test_a_run_without_the_base_rate_for_a_default_day_refuses_and_writes_nothing(
    coop_a_ready, overdue
):
    from dunning.models import BaseRate

    BaseRate.objects.all().delete()
    BaseRate.objects.create(valid_from=overdue.due_date + timedelta(days=5), rate=D("2.00"))
    with pytest.raises(ApplicationError) as refused:
        run(coop_a_ready, overdue.due_date + timedelta(days=7))
    assert refused.value.code == "base_rate_missing"
    with tenant_scope(coop_a_ready):
        assert not Reminder.objects.exists()
