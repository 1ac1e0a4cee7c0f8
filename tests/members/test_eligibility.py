"""Every eligibility rule, passing and failing (pure: no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from members.eligibility import Facts, evaluate
from members.models import EligibilityRules

TODAY = date(2026, 11, 21)
RULES = EligibilityRules(
    minimum_monthly_order_volume=Decimal("695.00"),
    excluded_activities="Steuerberatung\nArchitektur\n",
    residence_countries="DE, AT",
    require_work_permit=True,
    permit_minimum_days_valid=90,
    minimum_age=18,
)
GOOD = Facts(
    nationality="DE",
    country="DE",
    date_of_birth=date(1990, 5, 17),
    permit_expires_on=None,
    profession="Übersetzerin",
    activity_description="Fachübersetzungen Polnisch–Deutsch",
    expected_monthly_volume=Decimal("1200.00"),
)


def _result(facts: Facts, rule: str):
    return next(f for f in evaluate(RULES, facts, today=TODAY) if f.rule == rule)


def test_a_good_application_passes_every_rule():
    findings = evaluate(RULES, GOOD, today=TODAY)
    assert {f.rule for f in findings} == {"activity", "residence", "permit", "order_volume", "age"}
    assert all(f.passed for f in findings)


@pytest.mark.parametrize(
    "changes,rule,passed",
    [
        ({"profession": "Architektur und Design"}, "activity", False),
        ({"activity_description": "auch STEUERBERATUNG"}, "activity", False),
        ({"country": "FR"}, "residence", False),
        ({"country": "at"}, "residence", True),
        ({"nationality": "PL"}, "permit", True),  # EU citizen: no permit needed
        ({"nationality": "SY", "permit_expires_on": None}, "permit", False),
        ({"nationality": "SY", "permit_expires_on": date(2026, 12, 31)}, "permit", False),
        ({"nationality": "SY", "permit_expires_on": date(2027, 2, 19)}, "permit", True),
        ({"nationality": "SY", "permit_expires_on": date(2027, 2, 18)}, "permit", False),
        ({"expected_monthly_volume": Decimal("694.99")}, "order_volume", False),
        ({"expected_monthly_volume": Decimal("695.00")}, "order_volume", True),
        ({"expected_monthly_volume": None}, "order_volume", False),
        ({"date_of_birth": date(2008, 11, 21)}, "age", True),  # 18 today
        ({"date_of_birth": date(2008, 11, 22)}, "age", False),  # 18 tomorrow
        ({"date_of_birth": None}, "age", False),
    ],
)
def test_each_rule(changes, rule, passed):
    finding = _result(replace(GOOD, **changes), rule)
    assert finding.passed is passed
    assert finding.reason


def test_the_permit_rule_can_be_switched_off():
    rules = replace_rules(require_work_permit=False)
    facts = replace(GOOD, nationality="SY", permit_expires_on=None)
    assert all(f.passed for f in evaluate(rules, facts, today=TODAY))


def replace_rules(**changes) -> EligibilityRules:
    rules = EligibilityRules(
        **{
            f.name: getattr(RULES, f.name)
            for f in RULES._meta.concrete_fields
            if f.name not in ("id", "cooperative")
        }
    )
    for key, value in changes.items():
        setattr(rules, key, value)
    return rules
