"""Shadow gross-to-net for one month (pure: no database).

Social insurance follows SGB IV and the Beitragsverfahrensverordnung: a contribution shared in
halves is the half rate on the base, rounded half-up to the cent, once for each side (BVV § 2);
unequal shares (care insurance with the surcharge for the childless, Saxony) are each rounded on
their own. No other rounding happens on the way. Wage tax, solidarity surcharge and the church
tax base come from the BMF programme (`payroll.pap`); church tax is the state's rate on that
base, cut to the cent.

Bands: up to the mini-job limit the employer pays flat rates and the flat tax; in the
transition band (Midijob) the bases of § 20 Abs. 2a SGB IV apply — the full contribution on the
reduced total base, the employee's share on the employee base, the employer the difference;
above it the regular rules with the contribution ceilings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from payroll import pap

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _pct(base: Decimal, rate: Decimal) -> Decimal:
    return cents(base * rate / HUNDRED)


@dataclass(frozen=True)
class Rates:
    """One row of the dated contribution table (percentages and euro per month)."""

    year: int
    kv_rate: Decimal
    kv_average_additional: Decimal
    rv_rate: Decimal
    av_rate: Decimal
    pv_rate: Decimal
    pv_childless_surcharge: Decimal
    pv_child_reduction: Decimal
    pv_saxony_employer: Decimal
    u3_rate: Decimal
    bbg_kv_month: Decimal
    bbg_rv_month: Decimal
    minijob_limit: Decimal
    midijob_upper: Decimal
    midijob_factor: Decimal
    minijob_employer_kv: Decimal
    minijob_employer_rv: Decimal
    minijob_flat_tax: Decimal
    church_tax_rate: Decimal
    church_tax_reduced_rate: Decimal
    church_tax_reduced_states: frozenset[str]


@dataclass(frozen=True)
class Employee:
    """What the calculation needs to know about the person (ELStAM and insurance data)."""

    tax_class: int = 1
    kv_additional: Decimal | None = None  # the insurer's additional rate; None: the average
    childless: bool = False  # aged 23 or more without children: care surcharge
    pv_children: int = 0  # children under 25 (care reduction from the second)
    tax_children: Decimal = Decimal("0")  # child allowances (ZKF), e.g. 0.5 or 1.0 per child
    church_tax: bool = False
    state: str = "BE"
    minijob_rv_exempt: bool = False  # a mini-jobber who opted out of pension insurance


@dataclass(frozen=True)
class Levies:
    """Employer-only levies, percent of pay: U1 (only employers with at most 30 staff) and U2
    per health insurer; the accident insurance rate of the cooperative."""

    u1: Decimal = Decimal("0")
    u2: Decimal = Decimal("0")
    accident: Decimal = Decimal("0")


@dataclass
class Branch:
    base: Decimal
    employee: Decimal
    employer: Decimal


@dataclass
class Result:
    gross: Decimal
    band: str  # minijob, midijob, regular
    kv: Branch
    rv: Branch
    av: Branch
    pv: Branch
    wage_tax: Decimal
    solidarity_surcharge: Decimal
    church_tax: Decimal
    u1: Decimal
    u2: Decimal
    u3: Decimal
    accident: Decimal
    flat_tax: Decimal  # mini-job flat wage tax, paid by the employer
    employee_social_insurance: Decimal = field(init=False)
    employer_social_insurance: Decimal = field(init=False)
    net: Decimal = field(init=False)
    employer_cost: Decimal = field(init=False)

    def __post_init__(self) -> None:
        branches = (self.kv, self.rv, self.av, self.pv)
        self.employee_social_insurance = sum((b.employee for b in branches), ZERO)
        self.employer_social_insurance = sum((b.employer for b in branches), ZERO)
        self.net = (
            self.gross
            - self.employee_social_insurance
            - self.wage_tax
            - self.solidarity_surcharge
            - self.church_tax
        )
        self.employer_cost = (
            self.gross
            + self.employer_social_insurance
            + self.u1
            + self.u2
            + self.u3
            + self.accident
            + self.flat_tax
        )


def band(gross: Decimal, rates: Rates) -> str:
    if gross <= rates.minijob_limit:
        return "minijob"
    if gross <= rates.midijob_upper:
        return "midijob"
    return "regular"


def midijob_bases(gross: Decimal, rates: Rates) -> tuple[Decimal, Decimal]:
    """(total base, employee base) in the transition band, § 20 Abs. 2a SGB IV."""
    low, high, factor = rates.minijob_limit, rates.midijob_upper, rates.midijob_factor
    span = high - low
    total = factor * low + (high / span - low / span * factor) * (gross - low)
    employee = high / span * (gross - low)
    return cents(total), cents(employee)


def _pv_rates(employee: Employee, rates: Rates) -> tuple[Decimal, Decimal, Decimal]:
    """(employee rate without surcharge, employer rate, employee surcharge or −reduction)."""
    if employee.state == "SN":
        employer_rate = rates.pv_saxony_employer
        employee_rate = rates.pv_rate - employer_rate
    else:
        employer_rate = employee_rate = rates.pv_rate / 2
    if employee.childless:
        extra = rates.pv_childless_surcharge
    else:
        extra = -rates.pv_child_reduction * min(max(employee.pv_children - 1, 0), 4)
    return employee_rate, employer_rate, extra


def _regular(gross: Decimal, employee: Employee, rates: Rates) -> tuple[Branch, ...]:
    kv_base, rv_base = min(gross, rates.bbg_kv_month), min(gross, rates.bbg_rv_month)
    kv_half = (rates.kv_rate + _kv_additional(employee, rates)) / 2
    kv = _pct(kv_base, kv_half)
    rv = _pct(rv_base, rates.rv_rate / 2)
    av = _pct(rv_base, rates.av_rate / 2)
    pv_employee, pv_employer, extra = _pv_rates(employee, rates)
    return (
        Branch(kv_base, kv, kv),
        Branch(rv_base, rv, rv),
        Branch(rv_base, av, av),
        Branch(kv_base, _pct(kv_base, pv_employee + extra), _pct(kv_base, pv_employer)),
    )


def _midijob(gross: Decimal, employee: Employee, rates: Rates) -> tuple[Branch, ...]:
    total_base, employee_base = midijob_bases(gross, rates)

    def shared(full: Decimal, employee_rate: Decimal, extra: Decimal = ZERO) -> Branch:
        total = _pct(total_base, full)
        own = _pct(employee_base, employee_rate)
        # The surcharge for the childless is the employee's alone, on the total base; a child
        # reduction lowers only the employee's rate.
        surcharge = _pct(total_base, extra) if extra > 0 else -_pct(employee_base, -extra)
        return Branch(total_base, own + surcharge, total - own)

    pv_employee, pv_employer, extra = _pv_rates(employee, rates)
    kv_full = rates.kv_rate + _kv_additional(employee, rates)
    return (
        shared(kv_full, kv_full / 2),
        shared(rates.rv_rate, rates.rv_rate / 2),
        shared(rates.av_rate, rates.av_rate / 2),
        shared(pv_employee + pv_employer, pv_employee, extra),
    )


def _minijob(gross: Decimal, employee: Employee, rates: Rates) -> tuple[Branch, ...]:
    own_rv = (
        ZERO
        if employee.minijob_rv_exempt
        else _pct(gross, rates.rv_rate - rates.minijob_employer_rv)
    )
    return (
        Branch(gross, ZERO, _pct(gross, rates.minijob_employer_kv)),
        Branch(gross, own_rv, _pct(gross, rates.minijob_employer_rv)),
        Branch(gross, ZERO, ZERO),
        Branch(gross, ZERO, ZERO),
    )


def _kv_additional(employee: Employee, rates: Rates) -> Decimal:
    return rates.kv_average_additional if employee.kv_additional is None else employee.kv_additional


def _taxes(gross: Decimal, employee: Employee, rates: Rates) -> tuple[Decimal, Decimal, Decimal]:
    pv_reductions = 0 if employee.childless else min(max(employee.pv_children - 1, 0), 4)
    out = pap.program(rates.year).run(
        LZZ=2,
        RE4=gross * 100,
        STKL=employee.tax_class,
        ZKF=employee.tax_children,
        R=1 if employee.church_tax else 0,
        KVZ=_kv_additional(employee, rates),
        PVZ=1 if employee.childless else 0,
        PVS=1 if employee.state == "SN" else 0,
        PVA=Decimal(pv_reductions),
    )
    wage_tax, solidarity = out["LSTLZZ"] / 100, out["SOLZLZZ"] / 100
    church = ZERO
    if employee.church_tax:
        rate = (
            rates.church_tax_reduced_rate
            if employee.state in rates.church_tax_reduced_states
            else rates.church_tax_rate
        )
        church = (out["BK"] / 100 * rate / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
    return Decimal(wage_tax).quantize(CENT), Decimal(solidarity).quantize(CENT), church


@dataclass(frozen=True)
class _Contributions:
    band: str
    branches: tuple[Branch, ...]
    u1: Decimal
    u2: Decimal
    u3: Decimal
    accident: Decimal
    flat_tax: Decimal

    @property
    def employer_cost(self) -> Decimal:
        return (
            sum((b.employer for b in self.branches), ZERO)
            + self.u1
            + self.u2
            + self.u3
            + self.accident
            + self.flat_tax
        )


def _contributions(
    gross: Decimal, employee: Employee, rates: Rates, levies: Levies
) -> _Contributions:
    if not isinstance(gross, Decimal):
        raise TypeError("gross must be Decimal")
    gross = gross.quantize(CENT)
    if gross < 0:
        raise ValueError("gross must not be negative")
    kind = band(gross, rates)
    branches = {"minijob": _minijob, "midijob": _midijob, "regular": _regular}[kind](
        gross, employee, rates
    )
    # Levies are on the pay liable to pension insurance (actual pay, also in the band).
    levy_base = min(gross, rates.bbg_rv_month)
    return _Contributions(
        kind,
        branches,
        u1=_pct(levy_base, levies.u1),
        u2=_pct(levy_base, levies.u2),
        u3=_pct(levy_base, rates.u3_rate),
        accident=_pct(gross, levies.accident),
        flat_tax=_pct(gross, rates.minijob_flat_tax) if kind == "minijob" else ZERO,
    )


def employer_cost(
    gross: Decimal, employee: Employee, rates: Rates, levies: Levies = Levies()
) -> Decimal:
    """Gross plus the employer's contributions and levies; wage tax does not enter it."""
    return gross.quantize(CENT) + _contributions(gross, employee, rates, levies).employer_cost


def gross_to_net(
    gross: Decimal, employee: Employee, rates: Rates, levies: Levies = Levies()
) -> Result:
    """One month's pay: contributions, taxes, net and the employer's cost."""
    c = _contributions(gross, employee, rates, levies)
    gross = gross.quantize(CENT)
    if c.band == "minijob":
        wage_tax = solidarity = church = ZERO
    else:
        wage_tax, solidarity, church = _taxes(gross, employee, rates)
    return Result(
        gross,
        c.band,
        *c.branches,
        wage_tax=wage_tax,
        solidarity_surcharge=solidarity,
        church_tax=church,
        u1=c.u1,
        u2=c.u2,
        u3=c.u3,
        accident=c.accident,
        flat_tax=c.flat_tax,
    )


def gross_for_employer_cost(
    target: Decimal,
    employee: Employee,
    rates: Rates,
    levies: Levies = Levies(),
    upper: Decimal | None = None,
) -> Decimal:
    """The highest gross, at most `upper`, whose employer cost does not exceed `target`: the
    inverse of the employer-cost function. It is piecewise (bands, ceilings) and rises within
    each band, but not across the mini-job limit (the employer's flat rates are dearer than the
    start of the transition band), so each band is searched on whole cents (interpolation,
    safeguarded by bisection). Capping the gross afterwards instead could raise the cost: a
    mini-job gross can cost more than a slightly higher one in the transition band."""
    if target <= 0:
        return ZERO

    # Wage tax is not part of the employer's cost: the search runs on the contributions alone.
    def cost(cent: int) -> Decimal:
        return employer_cost(Decimal(cent) / 100, employee, rates, levies)

    def highest(low: int, high: int) -> int | None:
        if low > high:
            return None
        low_cost = cost(low)
        if low_cost > target:
            return None
        high_cost = cost(high)
        if high_cost <= target:
            return high
        # cost(low) ≤ target < cost(high). Within a band the cost is nearly linear, so the
        # interpolated guess lands within a few cents; a bisection step follows any guess that
        # did not halve the interval (kinks at the contribution ceilings).
        bisect = False
        while high - low > 1:
            width = high - low
            if bisect:
                guess = (low + high) // 2
            else:
                share = (target - low_cost) / (high_cost - low_cost)
                guess = min(max(low + int(share * width), low + 1), high - 1)
            guess_cost = cost(guess)
            if guess_cost <= target:
                low, low_cost = guess, guess_cost
            else:
                high, high_cost = guess, guess_cost
            bisect = not bisect and (high - low) * 2 > width
        return low

    mini, midi = int(rates.minijob_limit * 100), int(rates.midijob_upper * 100)
    ceiling = int(target * 100)  # the cost is never below the gross
    if upper is not None:
        ceiling = min(ceiling, int(upper * 100))
    found = [
        highest(lo, min(hi, ceiling))
        for lo, hi in ((0, mini), (mini + 1, midi), (midi + 1, max(ceiling, midi + 1)))
    ]
    best = max((cent for cent in found if cent is not None), default=0)
    return (Decimal(best) / 100).quantize(CENT)
