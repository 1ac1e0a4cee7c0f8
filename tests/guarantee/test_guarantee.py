"""Guarantee fund stories: a covered invoice is advanced after ten German working days (public
holidays skipped), the later payment settles only the receivable, an uncollectible one is
written off against the fund with the VAT corrected; uncovered invoices are never advanced."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from banking import services as banking_services
from banking.models import BankAccount, BankStatement, BankTransaction
from core.exceptions import ApplicationError
from guarantee import services
from guarantee.models import Advance, ClientBlock
from invoicing.models import Job
from ledger.models import Account, AccountKind, Entry
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import draft, issue, line, make_client, make_job

pytestmark = pytest.mark.django_db
D = Decimal


def balance(coop, kind, member=None):
    with tenant_scope(coop):
        accounts = Account.objects.filter(kind=kind)
        if member is not None:
            accounts = accounts.filter(member=member)
        return sum((e.amount for e in Entry.objects.filter(account__in=accounts)), D("0.00"))


@pytest.fixture
def covered(coop_a_ready, alice, sabine):
    client = make_client(alice)
    job = make_job(
        alice, client, pricing="fixed", hours=None, hourly_rate=None, fixed_price=D("1000")
    )
    with tenant_scope(coop_a_ready):
        Job.objects.filter(pk=job.pk).update(client_answered_at=job.created_at)
    return issue(alice, draft(alice, client, [line(price="1000.00")], job=job), sabine)


def test_working_days_skip_weekends_and_holidays():
    # Tue 22 Dec 2026 + 3 working days: 23rd, (24th is a weekday), 24th, 28th (25/26 holidays).
    assert services.working_days_after(date(2026, 12, 22), 3, "BE") == date(2026, 12, 28)
    assert services.working_days_after(date(2026, 11, 20), 1, "BE") == date(2026, 11, 23)


def test_advance_then_payment_then_nothing_twice(coop_a_ready, covered, alice):
    due = services.working_days_after(covered.issue_date, 10, "BE")
    with tenant_scope(coop_a_ready):
        assert services.advances_run(cooperative=coop_a_ready, on=due - timedelta(days=1)) == 0
        assert services.advances_run(cooperative=coop_a_ready, on=due) == 1
        assert services.advances_run(cooperative=coop_a_ready, on=due) == 0
        advance = Advance.objects.get()
        assert (advance.gross_open, advance.net_advanced) == (D("1190.00"), D("1000.00"))
    # 9 % fee: the budget gets 910.00 now, although the client has not paid.
    assert balance(coop_a_ready, AccountKind.MEMBER_BUDGET, alice.member) == D("-910.00")
    assert balance(coop_a_ready, AccountKind.RECEIVABLES) == D("1190.00")
    with tenant_scope(coop_a_ready):
        overview = services.fund_overview(cooperative=coop_a_ready)
        assert overview.exposure == D("1000.00") and overview.by_client[0][1] == D("1000.00")
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
            booking_date=due,
            amount=D("1190.00"),
            dedupe_key="k",
        )
        banking_services.allocation_create(
            bank_transaction=paid,
            invoice=covered,
            amount=D("1190.00"),
            method="manual",
            explanation="test",
            actor=None,
        )
        assert services.fund_overview(cooperative=coop_a_ready).exposure == 0
    # The payment settles the receivable; the member is not credited a second time.
    assert balance(coop_a_ready, AccountKind.MEMBER_BUDGET, alice.member) == D("-910.00")
    assert balance(coop_a_ready, AccountKind.RECEIVABLES) == 0


def test_write_off_moves_the_loss_to_the_fund_and_corrects_vat(coop_a_ready, covered, sabine):
    due = services.working_days_after(covered.issue_date, 10, "BE")
    with tenant_scope(coop_a_ready):
        services.advances_run(cooperative=coop_a_ready, on=due)
        with pytest.raises(ApplicationError):
            services.write_off(invoice=covered, actor=sabine.user, reason="")
        services.write_off(invoice=covered, actor=sabine.user, reason="Client insolvent")
        assert ClientBlock.objects.filter(client=covered.client).exists()
        with pytest.raises(ApplicationError):
            services.write_off(invoice=covered, actor=sabine.user, reason="again")
    assert balance(coop_a_ready, AccountKind.RECEIVABLES) == 0
    assert balance(coop_a_ready, AccountKind.OUTPUT_VAT_19) == 0
    # The fund got no contribution (no guarantee percentage) and bore the 1,000.00 net.
    assert balance(coop_a_ready, AccountKind.GUARANTEE_FUND) == D("1000.00")


def test_uncovered_invoices_are_never_advanced(coop_a_ready, alice, sabine):
    client = make_client(alice)
    swiss = make_client(alice, name="Zürich AG", country="CH", vat_id="")
    no_job = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)
    abroad = issue(alice, draft(alice, swiss, [line(price="100.00", cat="O", rate="0")]), sabine)
    with tenant_scope(coop_a_ready), translation.override("en"):
        policy = services.policy_for(cooperative=coop_a_ready)
        assert "the client did not confirm the job online" in services.eligibility(no_job, policy)
        assert "the client is outside the EU" in services.eligibility(abroad, policy)
        later = no_job.issue_date + timedelta(days=60)
        assert services.advances_run(cooperative=coop_a_ready, on=later) == 0


def test_blocked_client_and_amount_limit(coop_a_ready, covered, sabine):
    with tenant_scope(coop_a_ready), translation.override("en"):
        policy = services.policy_for(cooperative=coop_a_ready)
        policy.max_gross = D("500.00")
        assert "above the amount limit" in services.eligibility(covered, policy)
        services.client_block(client=covered.client, actor=sabine.user, reason="late twice")
        assert "the client is not covered any more" in services.eligibility(covered, policy)


def test_command_and_dashboard(coop_a_ready, covered, login, sabine, alice):
    due = services.working_days_after(covered.issue_date, 10, "BE")
    out = StringIO()
    call_command("run_guarantee", cooperative=coop_a_ready.slug, date=due.isoformat(), stdout=out)
    assert out.getvalue().strip() == "advances=1"
    page = login(sabine).get("/guarantee/")
    assert page.status_code == 200 and b"Atelier Nord GmbH" in page.content
    assert login(alice).get("/guarantee/").status_code == 403
    collection = login(alice).get(f"/invoices/{covered.pk}/collection/")
    assert b"1,000.00" in collection.content or b"1.000,00" in collection.content
