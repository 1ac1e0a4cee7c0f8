"""The month's payroll as stories: Alice's averaged salary drafted, submitted by Sabine,
approved by Stefan (never by Sabine herself), posted and paid by a SALA transfer file; guardrails
(reserve, shortfall, minimum wage) and a crash in the middle of a run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, transaction
from lxml import etree

from banking.models import BankAccount
from core.exceptions import ApplicationError
from ledger import services as ledger_services
from ledger.models import Account, AccountKind, FeeRule, Transaction
from members.models import EmploymentData
from payroll import services
from payroll.calculation import Employee, employer_cost, gross_to_net
from payroll.models import PayrollLine, PayrollRun, PayrollSettings, Warning
from payroll.selectors import rates_on
from tenancy.models import Role
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db
D = Decimal
MONTH = date(2026, 11, 1)
XSD = Path("/work/shared/reference/xsd")


def _employ(persona, **changes) -> EmploymentData:
    values = {
        "tax_class": 1,
        "health_insurer_additional_rate": D("2.9"),
        "childless": True,
        "iban": "DE89370400440532013000",
        **changes,
    }
    with tenant_scope(persona.cooperative):
        employment, _created = EmploymentData.objects.update_or_create(
            member=persona.member, cooperative=persona.cooperative, defaults=values
        )
    return employment


def _income(persona, budget: str, months: list[date]) -> None:
    """The member's budget receives `budget` in each month (a paid invoice, fee already off)."""
    coop = persona.cooperative
    with tenant_scope(coop):
        FeeRule.objects.get_or_create(cooperative=coop, category="", defaults={"percentage": 0})
        BankAccount.objects.get_or_create(
            cooperative=coop, iban=coop.iban, defaults={"name": "Main"}
        )
        accounts = ledger_services.accounts_ensure(cooperative=coop)
        budget_account = ledger_services.account_member(member=persona.member)
        for month in months:
            ledger_services.ledger_post(
                cooperative=coop,
                booking_date=month.replace(day=15),
                description="paid invoice",
                source_type="payment",
                source_id=f"{persona.member.pk}-{month}",
                lines=[
                    ledger_services.Line(accounts[AccountKind.BANK], D(budget)),
                    ledger_services.Line(budget_account, -D(budget)),
                ],
                actor=None,
            )


SIX_MONTHS = [date(2026, m, 1) for m in range(5, 11)]


def members_with_income(coop, first, more: int) -> list:
    """`first` and `more` members besides, employed, with six months of income rising by
    150 € from one member to the next."""
    from tenancy.models import Role
    from tests.conftest import make_person

    people = [first] + [
        make_person(coop, f"k{n}@example.org", Role.MEMBER, full_name=f"Kim Member{n}")
        for n in range(more)
    ]
    for n, persona in enumerate(people):
        _employ(persona)
        _income(persona, f"{1400 + 150 * n}.00", SIX_MONTHS)
    return people


def _compute(coop, month=MONTH, **kwargs):
    return services.payroll_run_compute(cooperative=coop, month=month, **kwargs)


def test_the_averaged_salary_is_drafted_submitted_approved_posted_and_paid(
    coop_a, alice, sabine, stefan, mailoutbox
):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    out = StringIO()
    call_command("run_payroll", cooperative="alpha", month="2026-11", stdout=out)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    # Target employer cost = average inflow 3,000; gross = the highest whose cost fits.
    rates = rates_on(day=date(2026, 11, 30))
    p1 = Employee(tax_class=1, kv_additional=D("2.9"), childless=True, state="BE")
    assert line.average_inflow == D("3000.00") and line.budget_before == D("18000.00")
    assert employer_cost(line.gross, p1, rates) <= D("3000.00")
    assert employer_cost(line.gross + D("0.01"), p1, rates) > D("3000.00")
    expected = gross_to_net(line.gross, p1, rates)
    assert (line.net, line.wage_tax, line.employer_cost) == (
        expected.net,
        expected.wage_tax,
        expected.employer_cost,
    )
    assert line.budget_after == D("18000.00") - line.employer_cost
    assert line.hours == (line.gross / D("13.90") / D("0.25")).to_integral_value(
        rounding="ROUND_DOWN"
    ) * D("0.25")
    assert out.getvalue().strip() == (
        f"lines=1 gross={line.gross} net={line.net} employer_cost={line.employer_cost} warnings=0"
    )
    # Running the month again changes nothing.
    again = StringIO()
    call_command("run_payroll", cooperative="alpha", month="2026-11", stdout=again)
    assert again.getvalue() == out.getvalue()
    with tenant_scope(coop_a):
        run = PayrollRun.objects.get()
        assert run.lines.count() == 1
        run = services.payroll_run_submit(run=run, actor=sabine.user)
        with pytest.raises(ApplicationError) as same_person:
            services.payroll_run_approve(run=run, actor=sabine.user)
        assert same_person.value.code == "four_eyes"
        run = services.payroll_run_approve(run=run, actor=stefan.user)
        budget = Account.objects.get(kind=AccountKind.MEMBER_BUDGET, member=alice.member)
        assert -budget.balance == D("18000.00") - line.employer_cost
        wages = Account.objects.get(kind=AccountKind.WAGES_PAYABLE, member=None)
        assert -wages.balance == line.net
        tax = Account.objects.get(kind=AccountKind.WAGE_TAX_PAYABLE, member=None)
        assert -tax.balance == line.wage_tax + line.solidarity_surcharge + line.church_tax
        social = Account.objects.get(kind=AccountKind.SOCIAL_SECURITY_PAYABLE, member=None)
        assert -social.balance == (
            line.employee_social_insurance + line.employer_social_insurance + line.employer_levies
        )
        posting = Transaction.objects.get(source_type="payroll_line")
        assert posting.booking_date == date(2026, 11, 30)
        content = bytes(run.payment_file.content)
    for xsd in ("pain.001.001.09.xsd", "EPC132-08_2025_V1.0_pain.001.001.09.xsd"):
        etree.XMLSchema(etree.parse(str(XSD / xsd))).assertValid(etree.fromstring(content))
    assert b"<CtgyPurp><Cd>SALA</Cd></CtgyPurp>" in content
    assert f'<InstdAmt Ccy="EUR">{line.net}</InstdAmt>'.encode() in content
    # The approved month is closed: computing it again changes nothing, nothing can be undone.
    assert _compute(coop_a)[1].line() == out.getvalue().strip()
    with tenant_scope(coop_a), pytest.raises(ApplicationError):
        services.payroll_line_reject(line=line, actor=stefan.user, reason="too late")


@pytest.mark.postgres  # check constraints and triggers; CI fails rather than skips without it
def test_the_database_refuses_one_person_approving_alone_and_changes_after_approval(
    coop_a, alice, sabine, stefan, mailoutbox
):
    _employ(alice)
    _income(alice, "2500.00", SIX_MONTHS)
    run, _summary = _compute(coop_a)
    with tenant_scope(coop_a):
        run = services.payroll_run_submit(run=run, actor=sabine.user)
        with pytest.raises(IntegrityError), transaction.atomic():
            PayrollRun.objects.filter(pk=run.pk).update(status="approved", approved_by=sabine.user)
        run = services.payroll_run_approve(run=run, actor=stefan.user)
        with pytest.raises(DatabaseError, match="approved"), transaction.atomic():
            PayrollLine.objects.filter(run=run).update(gross=D("1.00"))
        with pytest.raises(DatabaseError, match=r"approved|protect"), transaction.atomic():
            PayrollRun.objects.filter(pk=run.pk).update(status="draft")


def test_the_reserve_and_a_short_budget_cap_the_salary_and_never_overdraw(coop_a, alice):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS[:5])  # five months of 3,000: average over six 2,500
    with tenant_scope(coop_a):
        # Staff keep 14,000 in every budget: 1,000 of 15,000 is left to pay out.
        PayrollSettings.objects.create(cooperative=coop_a, reserve=D("14000.00"))
    _run, summary = _compute(coop_a)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    assert line.average_inflow == D("2500.00")
    assert Warning.SHORTFALL in line.warnings
    assert D("990.00") < line.employer_cost <= D("1000.00")
    assert line.budget_after >= D("14000.00")
    assert summary.warnings == 1


def test_a_member_may_ask_for_less(coop_a, alice):
    _employ(alice, salary_limit=D("1200.00"))
    _income(alice, "3000.00", SIX_MONTHS)
    _compute(coop_a)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    assert line.gross == D("1200.00") and line.band == "midijob"


def test_below_the_minimum_wage_the_line_blocks_approval_until_rejected(
    coop_a, alice, sabine, stefan, mailoutbox
):
    # 160 contract hours need 2,224 € gross; the budget pays about 800 €.
    _employ(alice, contract_hours=D("160"))
    _income(alice, "1000.00", SIX_MONTHS)
    run, summary = _compute(coop_a)
    assert summary.warnings == 1
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
        assert Warning.MINIMUM_WAGE in line.warnings
        run = services.payroll_run_submit(run=run, actor=sabine.user)
        with pytest.raises(ApplicationError) as blocked:
            services.payroll_run_approve(run=run, actor=stefan.user)
        assert blocked.value.code == "payroll_blocked"
        with pytest.raises(ApplicationError):
            services.payroll_line_reject(line=line, actor=sabine.user, reason="  ")
        services.payroll_line_reject(
            line=line, actor=sabine.user, reason="Contract hours too high for the budget"
        )
        run.refresh_from_db()
        assert run.lines_count == 0
        run = services.payroll_run_approve(run=run, actor=stefan.user)
        assert run.payment_file is None
        assert not Transaction.objects.filter(source_type="payroll_line").exists()
    (email,) = [m for m in mailoutbox if alice.email in m.to]
    assert "Contract hours too high" in email.body


def test_a_crash_in_the_middle_leaves_a_rerun_equal_to_a_clean_run(
    coop_a, alice, sabine, monkeypatch
):
    from tests.conftest import make_person as person

    others = [
        person(coop_a, f"m{n}@example.org", Role.MEMBER, full_name=f"Member {n}") for n in range(3)
    ]
    for n, persona in enumerate([alice, *others]):
        _employ(persona)
        _income(persona, f"{1500 + 500 * n}.00", SIX_MONTHS)
    real = services.salary_line
    calls = []

    def crashing(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(services, "salary_line", crashing)
    with pytest.raises(RuntimeError, match="worker killed"):
        _compute(coop_a, chunk=2)
    with tenant_scope(coop_a):
        assert PayrollLine.objects.count() == 2  # the first chunk is committed
        assert PayrollRun.objects.get().status == PayrollRun.Status.COMPUTING
    monkeypatch.setattr(services, "salary_line", real)
    run, resumed = _compute(coop_a, chunk=2)

    def lines():
        return sorted(PayrollLine.objects.values_list("member_id", "gross", "net", "employer_cost"))

    with tenant_scope(coop_a):
        after_crash = lines()
        _run, clean = services.payroll_run_recompute(run=run, actor=sabine.user)
        assert lines() == after_crash
    assert resumed == clean and resumed.lines == 4


def test_runs_stay_in_their_cooperative(coop_a, coop_b, alice, carol, sabine, dirk, login):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    _employ(carol)
    _income(carol, "2000.00", SIX_MONTHS)
    run_a, _ = _compute(coop_a)
    run_b, _ = _compute(coop_b)
    with tenant_scope(coop_a):
        assert list(PayrollRun.objects.all()) == [run_a]
        assert list(PayrollLine.objects.values_list("member_id", flat=True)) == [alice.member.pk]
    staff_a = login(sabine)
    page = staff_a.get("/admin/payroll/payrollline/")
    assert page.status_code == 200 and b"Alice" in page.content and b"Carol" not in page.content
    assert staff_a.get(f"/admin/payroll/payrollrun/{run_b.pk}/change/").status_code == 404
    assert staff_a.get(f"/admin/payroll/payrollrun/{run_a.pk}/change/").status_code == 200


def test_staff_submit_reject_and_approve_in_the_admin(coop_a, alice, sabine, stefan, login, client):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    run, _summary = _compute(coop_a)
    browser = login(sabine)
    done = browser.post(
        "/admin/payroll/payrollrun/", {"action": "submit", "_selected_action": [run.pk]}
    )
    assert done.status_code == 302
    refused = browser.post(
        "/admin/payroll/payrollrun/",
        {"action": "approve", "_selected_action": [run.pk]},
        follow=True,
    )
    assert b"another staff member must approve" in refused.content
    client.logout()
    approved = login(stefan).post(
        "/admin/payroll/payrollrun/", {"action": "approve", "_selected_action": [run.pk]}
    )
    assert approved.status_code == 302
    with tenant_scope(coop_a):
        run.refresh_from_db()
    assert run.status == PayrollRun.Status.APPROVED and run.approved_by == stefan.user
    listing = login(stefan).get("/admin/payroll/payrollrun/")
    assert b"pain.001" in listing.content


def test_run_payroll_refuses_bad_input_clearly(coop_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("run_payroll", cooperative="alpha", month="11/2026")
    with pytest.raises(CommandError, match="unknown cooperative"):
        call_command("run_payroll", cooperative="nope", month="2026-11")
    with pytest.raises(CommandError, match="2025"):
        call_command("run_payroll", cooperative="alpha", month="2025-12")


def test_the_beat_job_drafts_the_month_from_the_draft_day_on_once(coop_a, alice):
    from payroll import tasks

    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    assert services.payroll_run_due(cooperative=coop_a, today=date(2026, 11, 19)) is None
    first = services.payroll_run_due(cooperative=coop_a, today=date(2026, 11, 20))
    second = services.payroll_run_due(cooperative=coop_a, today=date(2026, 11, 21))
    assert first == second and first.lines == 1
    assert tasks.payroll_run_due_all.run() >= 1
    with tenant_scope(coop_a):
        assert PayrollRun.objects.count() == 1
