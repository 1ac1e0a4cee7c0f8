"""Alice plans her salary: her budget spread over the months she chooses, plus what she still
expects, as employer cost, gross and net; beside it what the cooperative's averaging rule pays
and her past income against the salaries paid. Sabine checks a gross-to-net on the calculator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payroll import selectors, services
from payroll.calculation import Employee, Levies, gross_to_net
from tenancy.scope import tenant_scope
from tests.payroll.test_runs import SIX_MONTHS, _employ, _income

pytestmark = pytest.mark.django_db
D = Decimal


def test_alice_sees_the_salary_her_budget_sustains_and_plays_with_what_ifs(
    coop_a, alice, login, django_assert_max_num_queries
):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    member = login(alice)
    with django_assert_max_num_queries(30):
        page = member.get("/salary/planner/")
    assert page.status_code == 200
    assert 'id="planner-chart-data" type="application/json"' in page.text
    # The what-if fields show their defaults before anyone changes them.
    assert (
        'name="months" value="6"' in page.text and 'name="collection_rate" value="100"' in page.text
    )
    plan = member.get("/api/v1/members/me/salary-plan/").json()
    assert plan["budget"] == "18000.00" and plan["available"] == "18000.00"
    assert plan["months"] == 6
    sustainable = plan["sustainable"]
    # The gross is the inverse of the employer cost: never more than 3,000.00 a month.
    assert D("2999.90") <= D(sustainable["employer_cost"]) <= D("3000.00")
    with tenant_scope(coop_a):
        rates = selectors.rates_on(day=selectors.month_end(date(2026, 11, 1)))
    check = gross_to_net(
        D(sustainable["gross"]), Employee(kv_additional=D("2.9"), childless=True), rates, Levies()
    )
    assert str(check.net) == sustainable["net"]
    # The averaging rule: six months of 3,000.00 in, so 3,000.00 employer cost next month.
    assert plan["averaging_rule"]["employer_cost"] == sustainable["employer_cost"]
    assert [m["income"] for m in plan["history"]][-6:] == ["3000.00"] * 6
    assert [m["income"] for m in plan["history"]][:6] == ["0.00"] * 6
    # What if 500.00 more came in each month, spread over twelve months?
    more = member.get(
        "/api/v1/members/me/salary-plan/", {"months": 12, "extra_income": "500.00"}
    ).json()
    assert more["available"] == "24000.00"
    assert D("1999.90") <= D(more["sustainable"]["employer_cost"]) <= D("2000.00")
    page = member.get("/salary/planner/", {"months": 12, "extra_income": "500.00"})
    assert more["sustainable"]["net"] in page.text
    bad = member.get("/api/v1/members/me/salary-plan/", {"months": 0})
    assert bad.status_code == 400
    page = member.get("/salary/planner/", {"months": "x", "collection_rate": 150})
    assert page.status_code == 200 and "error-summary" in page.text


def test_without_tax_data_the_planner_says_what_is_missing(coop_a, alice, login):
    _income(alice, "1000.00", SIX_MONTHS)
    plan = login(alice).get("/api/v1/members/me/salary-plan/").json()
    assert plan["missing_tax_data"] is True and plan["sustainable"] is None
    assert plan["available"] == "6000.00"


def test_sabine_calculates_a_gross_to_net_and_members_may_not(
    coop_a, alice, sabine, carol, login, client
):
    with tenant_scope(coop_a):
        settings = services.payroll_settings(cooperative=coop_a)
        settings.u2_rate = D("0.24")
        settings.save()
    page = login(sabine).get(
        "/payroll/calculator/",
        {
            "gross": "2500.00",
            "tax_class": "1",
            "kv_additional": "2.9",
            "childless": "on",
            "pv_children": "0",
            "tax_children": "0",
            "state": "BE",
        },
    )
    assert page.status_code == 200
    with tenant_scope(coop_a):
        from django.utils import timezone

        expected = gross_to_net(
            D("2500.00"),
            Employee(kv_additional=D("2.9"), childless=True),
            selectors.rates_on(day=timezone.localdate()),
            Levies(u2=D("0.24")),
        )
    assert f"{expected.net} €" in page.text and f"{expected.employer_cost} €" in page.text
    assert f"{expected.wage_tax} €" in page.text
    invalid = login(sabine).get("/payroll/calculator/", {"gross": "-1", "tax_class": "9"})
    assert "error-summary" in invalid.text
    client.logout()
    assert login(alice).get("/payroll/calculator/").status_code == 403
    client.logout()
    assert login(carol).get("/payroll/calculator/").status_code == 403
    # The planner has no id to guess: Carol only ever sees her own.
    assert login(carol).get("/api/v1/members/me/salary-plan/").json()["budget"] == "0.00"
