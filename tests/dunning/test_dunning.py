"""Dunning stories: an unpaid business invoice goes through reminder, first and final Mahnung
(with the member's confirmation) to court dunning; runs are idempotent, also concurrently;
consumers pay no fee for the letter that causes default; a dispute pauses; payment stops it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from core.exceptions import ApplicationError
from core.models import OutboundEmail
from dunning import services
from dunning.models import Confirmation, Escalation, Reminder, ReminderLetter
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


def test_a_second_worker_that_got_there_first_wins_and_nothing_is_doubled(
    coop_a_ready, overdue, monkeypatch
):
    """Two workers at once: both see no reminder, both prepare one; the unique (invoice, level)
    constraint lets exactly one in. Simulated deterministically: while this run prepares its
    reminder, the "other worker" commits the same level."""
    day = overdue.due_date + timedelta(days=7)
    original = services.claim_as_of

    def other_worker_first(*, invoice, open_amount, on):
        claim = original(invoice=invoice, open_amount=open_amount, on=on)
        Reminder.objects.create(
            cooperative_id=invoice.cooperative_id,
            invoice=invoice,
            level=1,
            dated=on,
            pay_by=on,
            open_amount=open_amount,
            total=open_amount,
        )
        return claim

    monkeypatch.setattr(services, "claim_as_of", other_worker_first)
    assert run(coop_a_ready, day).reminders_created == 0
    with tenant_scope(coop_a_ready):
        assert Reminder.objects.filter(invoice=overdue, level=1).count() == 1


def test_a_catch_up_run_sends_one_level_and_waits_for_the_new_payment_date(coop_a_ready, overdue):
    late = overdue.due_date + timedelta(days=40)
    assert run(coop_a_ready, late).reminders_created == 1
    assert run(coop_a_ready, late).reminders_created == 0  # twice on the same day
    with tenant_scope(coop_a_ready):
        first = Reminder.objects.get()
    assert run(coop_a_ready, first.pay_by).reminders_created == 0
    assert run(coop_a_ready, first.pay_by + timedelta(days=1)).reminders_created == 1
