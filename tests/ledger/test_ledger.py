"""The ledger as worked examples: an invoice's money flow, reversals, locks, the chain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exceptions import ApplicationError
from ledger import services
from ledger.models import Account, AccountKind, Entry, FeeRule, Transaction
from ledger.selectors import budget_statement
from ledger.verify import verify
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 11, 2)


@pytest.fixture
def ledger_a(coop_a):
    with tenant_scope(coop_a):
        FeeRule.objects.create(cooperative=coop_a, percentage=D("9"))
        return services.accounts_ensure(cooperative=coop_a)


def _post(coop, accounts, amounts, **extra):
    lines = [services.Line(accounts[k], D(a)) for k, a in amounts]
    return services.ledger_post(
        cooperative=coop,
        booking_date=extra.pop("on", DAY),
        description="test",
        source_type="manual",
        source_id="t",
        lines=lines,
        actor=None,
        **extra,
    )


def test_t8_invoice_to_budget(coop_a, alice, ledger_a):
    """Invoice 3,187.50 net + 605.63 VAT; paid; 9 % fee 286.88; budget 2,900.62 (T8)."""
    with tenant_scope(coop_a):
        services.revenue_post_issue(
            member=alice.member,
            invoice_id="1",
            invoice_number="RE-2026-0001",
            net=D("3187.50"),
            vat_by_rate={D("19"): D("605.63")},
            booking_date=DAY,
            actor=None,
        )
        statement = budget_statement(member=alice.member)
        assert (statement.invoiced_unpaid, statement.available) == (D("3187.50"), D("0.00"))
        services.revenue_post_payment(
            member=alice.member,
            payment_id="p1",
            invoice_id="1",
            invoice_number="RE-2026-0001",
            gross_paid=D("3793.13"),
            net_share=D("3187.50"),
            booking_date=date(2026, 11, 20),
            actor=None,
        )
        statement = budget_statement(member=alice.member)
        assert statement.invoiced_unpaid == D("0.00")
        assert statement.available == D("2900.62")
        issue, payment = statement.rows
        assert (issue.gross, issue.vat, issue.pending) == (D("3793.13"), D("605.63"), D("3187.50"))
        assert (payment.fee, payment.budget, payment.balance) == (
            D("286.88"),
            D("2900.62"),
            D("2900.62"),
        )
        accounts = {a.kind: a for a in Account.objects.filter(member__isnull=True)}
        assert accounts[AccountKind.BANK].display_balance == D("3793.13")
        assert accounts[AccountKind.RECEIVABLES].display_balance == D("0.00")
        assert accounts[AccountKind.OUTPUT_VAT_19].display_balance == D("605.63")
        assert accounts[AccountKind.FEE_INCOME].display_balance == D("286.88")
        # Posting the same payment again (a retried task) changes nothing.
        again = services.revenue_post_payment(
            member=alice.member,
            payment_id="p1",
            invoice_id="1",
            invoice_number="RE-2026-0001",
            gross_paid=D("3793.13"),
            net_share=D("3187.50"),
            booking_date=date(2026, 11, 20),
            actor=None,
        )
        assert again.sequence == 2 and Transaction.objects.count() == 2
        assert verify(cooperative=coop_a) == []


def test_fee_on_issue(coop_a, alice, ledger_a):
    with tenant_scope(coop_a):
        FeeRule.objects.filter(category="").update(charge_on=FeeRule.ChargeOn.ISSUE)
        services.revenue_post_issue(
            member=alice.member,
            invoice_id="2",
            invoice_number="RE-2",
            net=D("1000.00"),
            vat_by_rate={D("7"): D("70.00")},
            booking_date=DAY,
            actor=None,
        )
        statement = budget_statement(member=alice.member)
        assert statement.available == D("910.00") and statement.invoiced_unpaid == D("0.00")


@pytest.mark.parametrize(
    "amounts,code",
    [
        ([("bank", "10.00"), ("share_capital", "-9.99")], "unbalanced"),
        ([("bank", "10.00")], "too_few_lines"),
        ([("bank", "0.00"), ("share_capital", "0.00")], "zero_line"),
        ([("bank", "10.001"), ("share_capital", "-10.001")], "sub_cent"),
    ],
)
def test_bad_postings_are_refused(coop_a, ledger_a, amounts, code):
    with tenant_scope(coop_a):
        with pytest.raises(ApplicationError) as error:
            _post(coop_a, ledger_a, amounts)
        assert error.value.code == code
        assert Transaction.objects.count() == 0 and Entry.objects.count() == 0


def test_floats_are_refused(coop_a, ledger_a):
    with tenant_scope(coop_a), pytest.raises(TypeError):
        services.ledger_post(
            cooperative=coop_a,
            booking_date=DAY,
            description="x",
            source_type="manual",
            source_id="x",
            actor=None,
            lines=[
                services.Line(ledger_a["bank"], 1.5),
                services.Line(ledger_a["share_capital"], -1.5),
            ],
        )


def test_another_cooperatives_account_is_refused(coop_a, coop_b, ledger_a):
    with tenant_scope(coop_b):
        foreign = services.accounts_ensure(cooperative=coop_b)["bank"]
    with tenant_scope(coop_a), pytest.raises(ApplicationError) as error:
        services.ledger_post(
            cooperative=coop_a,
            booking_date=DAY,
            description="x",
            source_type="manual",
            source_id="x",
            actor=None,
            lines=[
                services.Line(foreign, D("5")),
                services.Line(ledger_a["share_capital"], D("-5")),
            ],
        )
    assert error.value.code == "foreign_account"


def test_reversal_and_period_lock(coop_a, sabine, ledger_a):
    with tenant_scope(coop_a):
        tx = _post(coop_a, ledger_a, [("bank", "50.00"), ("share_capital", "-50.00")])
        reversal = services.ledger_reverse(
            transaction_to_reverse=tx, actor=sabine.user, reason="typo"
        )
        assert reversal.reverses == tx
        assert Account.objects.get(kind="bank").balance == D("0.00")
        with pytest.raises(ApplicationError):
            services.ledger_reverse(transaction_to_reverse=tx, actor=sabine.user, reason="again")
        services.period_lock(cooperative=coop_a, month=date(2026, 10, 1), actor=sabine.user)
        with pytest.raises(ApplicationError) as error:
            _post(
                coop_a,
                ledger_a,
                [("bank", "1.00"), ("share_capital", "-1.00")],
                on=date(2026, 10, 31),
            )
        assert error.value.code == "period_locked" and "2026-10" in error.value.message
        _post(
            coop_a, ledger_a, [("bank", "1.00"), ("share_capital", "-1.00")], on=date(2026, 11, 1)
        )
        assert verify(cooperative=coop_a) == []


def test_the_chain_links_every_transaction(coop_a, ledger_a):
    with tenant_scope(coop_a):
        first = _post(coop_a, ledger_a, [("bank", "1.00"), ("share_capital", "-1.00")])
        second = _post(coop_a, ledger_a, [("bank", "2.00"), ("share_capital", "-2.00")])
        assert first.previous_hash == "0" * 64 and second.previous_hash == first.hash
        assert (first.sequence, second.sequence) == (1, 2)


def test_share_payments_are_swept_into_the_ledger_once(coop_a, sabine, alice, ledger_a):
    from members import services as member_services

    with tenant_scope(coop_a):
        member_services.share_payment_record(
            member=alice.member, amount=D("50.00"), paid_on=DAY, actor=sabine.user
        )
        assert services.share_payments_post_pending(cooperative=coop_a) == 1
        assert services.share_payments_post_pending(cooperative=coop_a) == 0
        assert Account.objects.get(kind="share_capital").display_balance == D("50.00")


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    postings=st.lists(
        st.tuples(
            st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2),
            st.sampled_from(["issue", "pay", "manual"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_sequence_of_postings_stays_balanced(coop_a, alice, ledger_a, postings):
    with tenant_scope(coop_a):
        start = Transaction.objects.count()
        unpaid: list[tuple[str, Decimal]] = []
        for i, (amount, kind) in enumerate(postings):
            key = f"{start}-{i}"
            if kind == "issue":
                unpaid.append((key, amount))
                services.revenue_post_issue(
                    member=alice.member,
                    invoice_id=key,
                    invoice_number=key,
                    net=amount,
                    vat_by_rate={D("19"): (amount * D("0.19")).quantize(D("0.01"))},
                    booking_date=DAY,
                    actor=None,
                )
            elif kind == "pay" and unpaid:
                invoice, net = unpaid.pop(0)
                services.revenue_post_payment(
                    member=alice.member,
                    payment_id=key,
                    invoice_id=invoice,
                    invoice_number=invoice,
                    gross_paid=net + (net * D("0.19")).quantize(D("0.01")),
                    net_share=net,
                    booking_date=DAY,
                    actor=None,
                )
            elif kind == "manual":
                _post(coop_a, ledger_a, [("bank", str(amount)), ("share_capital", str(-amount))])
        assert verify(cooperative=coop_a) == []
        budget = services.account_member(member=alice.member)
        total = sum(Entry.objects.filter(account=budget).values_list("amount", flat=True), D("0"))
        assert budget.balance == total
        assert budget_statement(member=alice.member).available == -total


def test_verify_ledger_command_reports_intact(coop_a, ledger_a, capsys):
    with tenant_scope(coop_a):
        _post(coop_a, ledger_a, [("bank", "1.00"), ("share_capital", "-1.00")])
    call_command("verify_ledger", "--cooperative", "alpha")
    assert "alpha: ledger intact" in capsys.readouterr().out


def test_the_budget_page_api_and_downloads(login, alice, carol, bob, sabine, ledger_a):
    client = login(alice)
    assert client.get("/budget/").status_code == 200
    assert client.get("/budget/?format=csv")["Content-Type"] == "text/csv"
    assert client.get("/budget/?format=pdf").content.startswith(b"%PDF-")
    assert client.get("/api/v1/members/me/budget/").json()["available"] == "0.00"
    assert client.get(f"/members/{carol.member.pk}/budget/").status_code == 404
    assert client.get(f"/api/v1/members/{carol.member.pk}/budget/").status_code == 404
    staff = login(sabine)
    assert staff.get(f"/members/{alice.member.pk}/budget/").status_code == 200
    assert staff.get(f"/members/{carol.member.pk}/budget/").status_code == 404
    assert login(bob).get(f"/members/{alice.member.pk}/budget/").status_code == 403


def test_staff_reverse_in_the_admin_and_lock_a_month(login, sabine, coop_a, ledger_a):
    with tenant_scope(coop_a):
        tx = _post(coop_a, ledger_a, [("bank", "9.00"), ("share_capital", "-9.00")])
    client = login(sabine)
    assert client.get("/admin/ledger/transaction/").status_code == 200
    assert client.get(f"/admin/ledger/transaction/{tx.pk}/change/").status_code == 200
    response = client.post(
        "/admin/ledger/transaction/",
        {"action": "reverse", "_selected_action": [tx.pk], "apply": "1", "reason": "wrong amount"},
    )
    assert response.status_code == 302
    assert client.post("/admin/ledger/periodlock/add/", {"month": "2026-10-01"}).status_code == 302
    with tenant_scope(coop_a):
        assert Transaction.objects.filter(reverses=tx).exists()
        assert services.period_is_locked(cooperative=coop_a, on=date(2026, 10, 15))
    assert client.get("/admin/ledger/account/").status_code == 200


def test_monthly_minimum_fee_is_topped_up_once(coop_a, alice):
    with tenant_scope(coop_a):
        FeeRule.objects.create(
            cooperative=coop_a,
            percentage=D("12"),
            floor_amount=D("40"),
            floor_period=FeeRule.FloorPeriod.MONTH,
            cap_per_year=D("8400"),
        )
        services.revenue_post_issue(
            member=alice.member,
            invoice_id="m1",
            invoice_number="M1",
            net=D("200.00"),
            vat_by_rate={D("19"): D("38.00")},
            booking_date=date(2026, 10, 5),
            actor=None,
        )
        services.revenue_post_payment(
            member=alice.member,
            payment_id="m1",
            invoice_id="m1",
            invoice_number="M1",
            gross_paid=D("238.00"),
            net_share=D("200.00"),
            booking_date=date(2026, 10, 20),
            actor=None,
        )
        assert budget_statement(member=alice.member).available == D("176.00")  # 12 % = 24 €
        assert services.fees_post_monthly_floors(cooperative=coop_a, month=date(2026, 10, 1)) == 1
        # Run again (beat fires daily): the month is at its minimum now, nothing more.
        assert services.fees_post_monthly_floors(cooperative=coop_a, month=date(2026, 10, 1)) == 0
        assert Transaction.objects.filter(source_type="fee").count() == 1  # idempotent
        assert budget_statement(member=alice.member).available == D("160.00")  # 40 € in all
        assert verify(cooperative=coop_a) == []


def test_a_rule_changed_between_issue_and_payment_charges_exactly_once(coop_a, alice, ledger_a):
    with tenant_scope(coop_a):
        FeeRule.objects.filter(category="").update(charge_on=FeeRule.ChargeOn.ISSUE)
        services.revenue_post_issue(
            member=alice.member,
            invoice_id="c1",
            invoice_number="C1",
            net=D("100.00"),
            vat_by_rate={},
            booking_date=DAY,
            actor=None,
        )
        FeeRule.objects.filter(category="").update(charge_on=FeeRule.ChargeOn.PAYMENT)
        services.revenue_post_payment(
            member=alice.member,
            payment_id="c1",
            invoice_id="c1",
            invoice_number="C1",
            gross_paid=D("100.00"),
            net_share=D("100.00"),
            booking_date=DAY,
            actor=None,
        )
        statement = budget_statement(member=alice.member)
        assert (statement.available, statement.invoiced_unpaid) == (D("91.00"), D("0.00"))
        with pytest.raises(ApplicationError) as error:
            services.revenue_post_payment(
                member=alice.member,
                payment_id="x",
                invoice_id="never-issued",
                invoice_number="X",
                gross_paid=D("1.00"),
                net_share=D("1.00"),
                booking_date=DAY,
                actor=None,
            )
        assert error.value.code == "not_issued"


def test_amounts_without_two_places_hash_as_stored(coop_a, ledger_a):
    with tenant_scope(coop_a):
        _post(coop_a, ledger_a, [("bank", "10"), ("share_capital", "-10")])
        assert verify(cooperative=coop_a) == []


def test_a_share_payment_in_a_locked_month_is_booked_today_and_does_not_block(
    coop_a, sabine, alice, ledger_a
):
    from members import services as member_services

    with tenant_scope(coop_a):
        member_services.share_payment_record(
            member=alice.member, amount=D("50.00"), paid_on=date(2026, 9, 3), actor=sabine.user
        )
        services.period_lock(cooperative=coop_a, month=date(2026, 9, 1), actor=sabine.user)
        assert services.share_payments_post_pending(cooperative=coop_a) == 1
        tx = Transaction.objects.get(source_type="share")
        assert tx.booking_date.month != 9 or tx.booking_date.year != 2026
