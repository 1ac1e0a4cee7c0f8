"""Salary categories and the insurers' dated rates as stories.

Alice's cooperative offers fixed salaries. Her six months of 3,000.00 sustain an employer cost
of 3,000.00 a month, so she may take 1,500.00 gross but not 2,500.00 (employer cost 3,032.50,
domain-de.md P1). The payroll pays her category, and pays less when the budget runs short.
Her insurer's additional rate and levies come from the cooperative's dated table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger import services as ledger_services
from ledger.models import AccountKind
from payroll.models import (
    HealthInsurer,
    HealthInsurerRate,
    PayrollLine,
    PayrollSettings,
    SalaryCategory,
    SalaryCategoryChoice,
    SalaryRule,
    Warning,
)
from tenancy.scope import tenant_scope
from tests.payroll.test_runs import MONTH, SIX_MONTHS, _compute, _employ, _income

pytestmark = pytest.mark.django_db
D = Decimal
API = "/api/v1/members/me/salary-category/"


def _offer(coop, rule=SalaryRule.BOTH) -> dict[str, SalaryCategory]:
    with tenant_scope(coop):
        PayrollSettings.objects.update_or_create(cooperative=coop, defaults={"salary_rule": rule})
        return {
            name: SalaryCategory.objects.create(cooperative=coop, name=name, gross=D(gross))
            for name, gross in (("S", "1500.00"), ("M", "2500.00"), ("L", "4000.00"))
        }


def test_alice_chooses_a_category_her_money_sustains_and_is_paid_it(
    coop_a, alice, login, django_assert_max_num_queries
):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    bands = _offer(coop_a)
    member = login(alice)
    offer = member.get(API).json()
    assert offer["offered"] is True and offer["chosen"] is None
    assert offer["sustainable_employer_cost"] == "3000.00"
    by_name = {option["name"]: option for option in offer["options"]}
    assert by_name["M"]["employer_cost"] == "3032.50"  # P1: 2,500.00 × 1.2130
    assert [by_name[n]["sustainable"] for n in ("S", "M", "L")] == [True, False, False]

    refused = member.put(API, {"category": bands["M"].pk}, content_type="application/json")
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "3032.50" in message and "3000.00" in message
    with django_assert_max_num_queries(40):
        page = member.get("/salary/category/")
    assert page.status_code == 200 and "3032.50" in page.text
    page = member.post("/salary/category/", {"category": str(bands["L"].pk)})
    assert page.status_code == 200 and "error-summary" in page.text
    page = member.post("/salary/category/", {"category": str(bands["S"].pk)}, follow=True)
    assert "It applies from the next payroll" in page.text
    with tenant_scope(coop_a):
        choice = SalaryCategoryChoice.objects.select_related("category", "chosen_by").get()
    assert choice.category == bands["S"] and choice.sustainable == D("3000.00")
    assert choice.chosen_by == alice.user

    _run, summary = _compute(coop_a)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    assert line.gross == D("1500.00") and line.warnings == []
    assert line.details["rule"] == "category" and line.details["category"] == "S"
    assert summary.gross == D("1500.00")

    # Back to the averaging rule: the choice is gone.
    back = member.put(API, {"category": None}, content_type="application/json")
    assert back.status_code == 200 and back.json()["chosen"] is None


def test_a_month_the_budget_does_not_cover_pays_less_never_more(coop_a, alice):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    bands = _offer(coop_a)
    with tenant_scope(coop_a):
        SalaryCategoryChoice.objects.create(
            cooperative=coop_a,
            member=alice.member,
            category=bands["S"],
            employer_cost=D("1800.00"),
            sustainable=D("3000.00"),
        )
        # The budget was spent down to 1,000.00 since the choice.
        accounts = ledger_services.accounts_ensure(cooperative=coop_a)
        ledger_services.ledger_post(
            cooperative=coop_a,
            booking_date=date(2026, 10, 20),
            description="refund to client",
            source_type="payment",
            source_id="refund",
            lines=[
                ledger_services.Line(
                    ledger_services.account_member(member=alice.member), D("17000.00")
                ),
                ledger_services.Line(accounts[AccountKind.BANK], D("-17000.00")),
            ],
            actor=None,
        )
    _compute(coop_a)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    assert Warning.CATEGORY_NOT_COVERED in line.warnings
    assert D("990.00") < line.employer_cost <= D("1000.00")
    assert line.budget_after >= 0


def test_only_categories_offered_and_the_cooperatives_rule_decide(
    coop_a, coop_b, alice, carol, sabine, login
):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    member = login(alice)
    # The averaging rule: nothing to choose.
    assert member.get(API).json()["offered"] is False
    bands_b = _offer(coop_b)
    refused = member.put(API, {"category": None}, content_type="application/json")
    assert refused.status_code == 400
    page = member.get("/salary/category/")
    assert "offers no salary categories" in page.text
    # Categories only: another cooperative's category looks like one that does not exist.
    _offer(coop_a, SalaryRule.CATEGORIES)
    foreign = member.put(API, {"category": bands_b["S"].pk}, content_type="application/json")
    assert foreign.status_code == 400 and "not offered" in str(foreign.json())
    page = member.post("/salary/category/", {"category": str(bands_b["S"].pk)})
    assert "error-summary" in page.text
    staff = login(sabine)
    own = staff.get("/admin/payroll/salarycategory/")
    assert own.status_code == 200 and ">M<" in own.text
    foreign_admin = f"/admin/payroll/salarycategory/{bands_b['S'].pk}/change/"
    assert staff.get(foreign_admin).status_code == 404
    twice = staff.post(
        "/admin/payroll/salarycategory/add/", {"name": "m ", "gross": "100.00", "active": "on"}
    )
    assert twice.status_code == 200 and "Another entry already has this name." in twice.text
    # Coop B's "S" does not get in the way of Coop A's own.
    again = staff.post("/admin/payroll/salarycategory/add/", {"name": "XS", "gross": "100.00"})
    assert again.status_code == 302
    member = login(alice)
    with tenant_scope(coop_a):
        SalaryCategory.objects.filter(name="S").update(active=False)
    names = [o["name"] for o in member.get(API).json()["options"]]
    assert names == ["M", "L"]
    # Without a choice the categories-only rule pays nothing and says why.
    _compute(coop_a)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    assert line.gross == 0 and line.warnings == [Warning.NO_CATEGORY]


def test_the_insurers_dated_rates_and_levies_are_used(coop_a, alice):
    # Alice typed her insurer with other spaces and case, and an outdated rate.
    _employ(
        alice,
        health_insurer="techniker  KRANKENKASSE",
        health_insurer_additional_rate=D("2.50"),
    )
    _income(alice, "3000.00", SIX_MONTHS)
    with tenant_scope(coop_a):
        PayrollSettings.objects.create(
            cooperative=coop_a, u1_rate=D("9"), u2_rate=D("9"), accident_rate=D("0")
        )
        insurer = HealthInsurer.objects.create(cooperative=coop_a, name="Techniker Krankenkasse")
        for day, zb in ((date(2026, 1, 1), "2.90"), (date(2026, 12, 1), "3.10")):
            HealthInsurerRate.objects.create(
                cooperative=coop_a,
                insurer=insurer,
                valid_from=day,
                additional_rate=D(zb),
                u1_rate=D("1.10"),
                u2_rate=D("0.24"),
            )
    _compute(coop_a)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    # Not liable to U1 (more than 30 employees): U2 only, the insurer's, not the fallback 9 %.
    gross = line.gross
    assert line.details["insurer"] == "Techniker Krankenkasse"
    assert D(line.details["u1"]) == 0
    assert D(line.details["u2"]) == (gross * D("0.0024")).quantize(D("0.01"))
    kv = line.details["branches"]["kv"]
    # KV: 14.6 % general plus the table's 2.90 %, shared half and half.
    assert D(kv["employee"]) == (D(kv["base"]) * D("0.0875")).quantize(D("0.01"))
    assert Warning.INSURER_UNKNOWN not in line.warnings

    # From December the insurer's new rate applies, and the cooperative pays U1.
    with tenant_scope(coop_a):
        PayrollSettings.objects.filter(cooperative=coop_a).update(u1_liable=True)
    _compute(coop_a, month=date(2026, 12, 1))
    with tenant_scope(coop_a):
        december = PayrollLine.objects.get(run__month=date(2026, 12, 1))
    kv = december.details["branches"]["kv"]
    assert D(kv["employee"]) == (D(kv["base"]) * D("0.0885")).quantize(D("0.01"))
    assert D(december.details["u1"]) == (december.gross * D("0.011")).quantize(D("0.01"))


def test_an_insurer_not_in_the_table_falls_back_and_warns(coop_a, alice):
    _employ(alice, health_insurer="BKK Unbekannt")
    _income(alice, "3000.00", SIX_MONTHS)
    with tenant_scope(coop_a):
        PayrollSettings.objects.create(cooperative=coop_a, u2_rate=D("0.50"))
    run, summary = _compute(coop_a, month=MONTH)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    assert Warning.INSURER_UNKNOWN in line.warnings
    assert D(line.details["u2"]) == (line.gross * D("0.005")).quantize(D("0.01"))
    assert summary.warnings == 1 and run.warnings_count == 1


def test_a_category_the_budget_cannot_carry_never_pays_more_gross_than_chosen(coop_a, alice):
    # A mini-job category (603.00 costs 784.80) with 783.00 available: 611.66 in the transition
    # band would cost less, but the member chose at most 603.00 gross.
    _employ(alice)
    _income(alice, "783.00", SIX_MONTHS[-1:])
    with tenant_scope(coop_a):
        PayrollSettings.objects.create(cooperative=coop_a, salary_rule=SalaryRule.CATEGORIES)
        mini = SalaryCategory.objects.create(cooperative=coop_a, name="Mini", gross=D("603.00"))
        SalaryCategoryChoice.objects.create(
            cooperative=coop_a,
            member=alice.member,
            category=mini,
            employer_cost=D("784.80"),
            sustainable=D("784.80"),
        )
    _compute(coop_a)
    with tenant_scope(coop_a):
        line = PayrollLine.objects.get()
    assert line.warnings == [Warning.CATEGORY_NOT_COVERED]
    assert line.gross == D("601.62") and line.band == "minijob"
    assert line.employer_cost <= D("783.00") and line.budget_after >= 0
