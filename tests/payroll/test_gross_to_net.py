"""Shadow gross-to-net 2026 against the worked vectors of domain-de.md (P1–P6) and the BMF
check-interface cases (P3)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.exceptions import ApplicationError
from payroll.calculation import (
    Employee,
    Levies,
    band,
    gross_for_employer_cost,
    gross_to_net,
    midijob_bases,
)
from payroll.pap import BigDecimal, program
from payroll.selectors import minimum_wage_on, rates_on

pytestmark = pytest.mark.django_db
D = Decimal
PAY_DAY = date(2026, 11, 30)
P1 = Employee(tax_class=1, kv_additional=D("2.9"), childless=True)


@pytest.fixture
def rates():
    return rates_on(day=PAY_DAY)


@pytest.mark.parametrize(
    ("inputs", "lstlzz", "solzlzz"),
    [
        ({"LZZ": 2, "RE4": "250000", "STKL": 1}, 20050, 0),
        ({"LZZ": 2, "RE4": "1000000", "STKL": 1}, 268275, 11744),
        ({"LZZ": 1, "RE4": "10000000", "STKL": 5}, 3075700, 123843),
    ],
)
def test_the_bmf_programme_matches_the_check_interface(inputs, lstlzz, solzlzz):
    out = program(2026).run(**{k: D(v) if k == "RE4" else v for k, v in inputs.items()})
    assert (out["LSTLZZ"], out["SOLZLZZ"]) == (lstlzz, solzlzz)


def test_p1_worked_example_to_the_cent(rates):
    result = gross_to_net(D("2500.00"), P1, rates)
    assert (result.kv.employee, result.pv.employee, result.rv.employee, result.av.employee) == (
        D("218.75"),
        D("60.00"),
        D("232.50"),
        D("32.50"),
    )
    assert result.employee_social_insurance == D("543.75")
    assert (result.wage_tax, result.solidarity_surcharge, result.church_tax) == (
        D("187.33"),
        D("0.00"),
        D("0.00"),
    )
    assert result.net == D("1768.92")
    assert result.pv.employer == D("45.00")
    assert result.employer_social_insurance == D("528.75")
    assert result.u3 == D("3.75")
    assert result.employer_cost == D("3032.50")
    # The inverse: an employer-cost target of 3,032.50 affords exactly 2,500.00.
    assert gross_for_employer_cost(D("3032.50"), P1, rates) == D("2500.00")


@pytest.mark.parametrize(
    ("gross", "wage_tax"),
    [
        ("2000", "88.16"),
        ("3000", "293.08"),
        ("4000", "524.50"),
        ("6000", "1074.33"),
        ("7000", "1430.33"),
        ("8000", "1810.33"),
    ],
)
def test_p2_monthly_wage_tax(rates, gross, wage_tax):
    assert gross_to_net(D(gross), P1, rates).wage_tax == D(wage_tax)


def test_p2_variants(rates):
    assert gross_to_net(D("8000"), P1, rates).solidarity_surcharge == D("13.62")
    church = gross_to_net(
        D("2500"), Employee(kv_additional=D("2.9"), childless=True, church_tax=True), rates
    )
    assert church.church_tax == D("16.85")  # 9 % of 187.33, cut to the cent
    bavaria = gross_to_net(
        D("2500"),
        Employee(kv_additional=D("2.9"), childless=True, church_tax=True, state="BY"),
        rates,
    )
    assert bavaria.church_tax == D("14.98")  # 8 % in Bavaria
    saxony = gross_to_net(
        D("2500"), Employee(kv_additional=D("2.9"), childless=True, state="SN"), rates
    )
    assert saxony.wage_tax == D("184.08")
    # Saxony: the employee carries 2.3 % + 0.6 %, the employer 1.3 %.
    assert (saxony.pv.employee, saxony.pv.employer) == (D("72.50"), D("32.50"))
    assert gross_to_net(
        D("2500"), Employee(tax_class=3, kv_additional=D("2.9"), childless=True), rates
    ).wage_tax == D("0.00")
    assert gross_to_net(
        D("2500"), Employee(tax_class=6, kv_additional=D("2.9"), childless=True), rates
    ).wage_tax == D("510.00")


def test_p4_above_the_ceilings(rates):
    result = gross_to_net(D("7000.00"), P1, rates)
    assert result.kv.base == D("5812.50")
    assert (result.kv.employee, result.pv.employee) == (D("508.59"), D("139.50"))
    assert (result.rv.base, result.rv.employee, result.av.employee) == (
        D("7000.00"),
        D("651.00"),
        D("91.00"),
    )


@pytest.mark.parametrize(
    ("gross", "total", "employee"),
    [("1000", "854.06", "568.36"), ("1500", "1427.03", "1284.18"), ("2000", "2000.00", "2000.00")],
)
def test_p5_transition_band_bases(rates, gross, total, employee):
    assert midijob_bases(D(gross), rates) == (D(total), D(employee))


def test_p5_transition_band_contributions(rates):
    result = gross_to_net(D("1000.00"), Employee(kv_additional=D("2.9")), rates)
    # Employee: the half rate on the employee base; employer: the full contribution on the
    # total base less the employee's share.
    assert result.rv.employee == D("52.86")  # 9.3 % of 568.36
    assert result.rv.employer == D("158.86") - D("52.86")  # 18.6 % of 854.06 = 158.855…
    assert result.band == "midijob"


def test_p6_mini_job_limit_and_minimum_wage(rates):
    assert band(D("603.00"), rates) == "minijob"
    assert band(D("603.01"), rates) == "midijob"
    assert band(D("2000.00"), rates) == "midijob"
    assert band(D("2000.01"), rates) == "regular"
    assert minimum_wage_on(day=PAY_DAY) == D("13.90")
    assert minimum_wage_on(day=date(2027, 1, 1)) == D("14.60")
    assert (D("13.90") * D("43.38")).quantize(D("0.01")) == D("602.98")  # ≈ 603 € a month
    mini = gross_to_net(D("603.00"), Employee(), rates)
    assert (mini.wage_tax, mini.rv.employee, mini.flat_tax) == (D("0.00"), D("21.71"), D("12.06"))
    assert mini.employer_cost == D("603.00") + D("78.39") + D("90.45") + D("12.06") + D("0.90")


def test_levies_and_the_inverse_across_the_bands(rates):
    levies = Levies(u1=D("1.1"), u2=D("0.24"), accident=D("0.5"))
    result = gross_to_net(D("2500.00"), P1, rates, levies)
    assert (result.u1, result.u2, result.accident) == (D("27.50"), D("6.00"), D("12.50"))
    assert result.employer_cost == D("3032.50") + D("27.50") + D("6.00") + D("12.50")
    for target in (D("500.00"), D("780.00"), D("1500.00"), D("2500.00"), D("12000.00")):
        gross = gross_for_employer_cost(target, P1, rates, levies)
        assert gross_to_net(gross, P1, rates, levies).employer_cost <= target
        # A cent more would cost more than the target (unless a higher band is cheaper).
        assert gross_to_net(
            gross + D("0.01"), P1, rates, levies
        ).employer_cost > target or gross == D("603.00")


def test_a_year_without_rates_is_refused(rates):
    with pytest.raises(ApplicationError) as caught:
        rates_on(day=date(2031, 1, 1))
    assert caught.value.code == "no_rates"


def test_bigdecimal_semantics_are_javas():
    assert BigDecimal("10").divide(BigDecimal("3"), 2, BigDecimal.ROUND_DOWN) == D("3.33")
    assert BigDecimal("10").divide(BigDecimal("3"), 2, BigDecimal.ROUND_UP) == D("3.34")
    assert BigDecimal.valueOf(0.013) == D("0.013")
    with pytest.raises(ArithmeticError):
        BigDecimal("1").divide(BigDecimal("3"))


def test_payroll_calc_prints_json_with_two_decimals():
    out = StringIO()
    call_command(
        "payroll_calc",
        "--gross",
        "2500.00",
        "--tax-class",
        "1",
        "--kv-zusatz",
        "2.9",
        "--childless",
        "--state",
        "BE",
        "--date",
        "2026-11-30",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data == {
        "gross": "2500.00",
        "wage_tax": "187.33",
        "solidarity_surcharge": "0.00",
        "church_tax": "0.00",
        "employee_social_insurance": "543.75",
        "net": "1768.92",
        "employer_social_insurance": "528.75",
        "employer_cost": "3032.50",
        "band": "regular",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gross", "abc"], "--gross must be a number"),
        (["--gross", "-5"], "zero or more"),
        (["--gross", "2500.001"], "two decimals"),
        (["--gross", "2500", "--state", "XX"], "German state"),
        (["--gross", "2500", "--date", "2031-01-01"], "No contribution rates for 2031"),
    ],
)
def test_payroll_calc_refuses_bad_input_clearly(args, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("payroll_calc", *args, stdout=StringIO())


def test_the_inverse_finds_the_same_cent_as_a_plain_bisection(rates):
    """The interpolating search against the textbook bisection per band, across all bands and
    the contribution ceilings, for several kinds of employee."""
    from payroll.calculation import employer_cost

    def reference(target, employee, levies):
        def highest(low, high):
            cost = lambda cent: employer_cost(D(cent) / 100, employee, rates, levies)  # noqa: E731
            if low > high or cost(low) > target:
                return None
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if cost(middle) <= target else (low, middle - 1)
            return low

        ceiling = int(target * 100)
        found = [
            highest(lo, min(hi, ceiling))
            for lo, hi in ((0, 60300), (60301, 200000), (200001, max(ceiling, 200001)))
        ]
        return D(max((c for c in found if c is not None), default=0)) / 100

    employees = [
        P1,
        Employee(tax_class=3, kv_additional=D("1.7"), pv_children=3, state="SN"),
        Employee(tax_class=5, church_tax=True, state="BY"),
    ]
    levies = Levies(u1=D("1.1"), u2=D("0.24"), accident=D("0.9"))
    for step in range(0, 40):
        target = D("137.37") * step + D("0.41") * (step % 7)
        for employee in employees:
            for levy in (Levies(), levies):
                expected = reference(target, employee, levy)
                assert gross_for_employer_cost(target, employee, rates, levy) == expected, (
                    target,
                    employee,
                )
