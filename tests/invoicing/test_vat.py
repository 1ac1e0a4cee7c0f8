"""German VAT on invoices: domain-de.md test vectors T1–T7, and the rounding as a property."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.vat import LineInput, cancellation, compute, net_from_gross

D = Decimal


def line(quantity, price, category="S", rate="19"):
    return LineInput(D(quantity), D(price), category, D(rate))


def test_t1_hours_times_rate_half_up():
    totals = compute([line("37.5", "85.00")])
    assert (totals.net, totals.vat, totals.gross) == (D("3187.50"), D("605.63"), D("3793.13"))
    # Python's default (half-even) would give 605.62: the rounding mode is the point of T1.
    assert D("605.625").quantize(D("0.01")) == D("605.62")


def test_t2_vat_on_the_document_total_not_per_line():
    totals = compute([line("1", "2.15")] * 7)
    assert (totals.net, totals.vat, totals.gross) == (D("15.05"), D("2.86"), D("17.91"))


def test_t3_mixed_rates_give_two_groups():
    totals = compute([line("3", "99.99"), line("7", "0.07", rate="7")])
    assert [(g.rate, g.net, g.vat) for g in totals.groups] == [
        (D("7"), D("0.49"), D("0.03")),
        (D("19"), D("299.97"), D("56.99")),
    ]
    assert (totals.net, totals.vat, totals.gross) == (D("300.46"), D("57.02"), D("357.48"))
    assert totals.vat_by_rate() == {D("7"): D("0.03"), D("19"): D("56.99")}


def test_t4_seven_percent():
    totals = compute([line("1", "1234.56", rate="7")])
    assert (totals.vat, totals.gross) == (D("86.42"), D("1320.98"))


def test_t5_small_amount_invoices_up_to_250_gross():
    assert net_from_gross(D("238.00"), D("19")) == D("200.00")
    assert compute([line("1", "200.00")]).is_small_amount
    assert not compute([line("1", "210.09")]).is_small_amount  # gross 250.01
    assert compute([line("1", "210.08")]).gross == D("250.00")  # exactly the limit: allowed
    assert compute([line("1", "210.08")]).is_small_amount


def test_t6_reverse_charge_has_no_vat_and_is_never_a_small_amount():
    totals = compute([line("1", "1000.00", category="AE", rate="0")])
    assert (totals.vat, totals.gross) == (D("0.00"), D("1000.00"))
    assert not compute([line("1", "100.00", category="AE", rate="0")]).is_small_amount
    assert totals.vat_by_rate() == {}


def test_t7_cancellation_mirrors_the_original():
    original = [line("37.5", "85.00")]
    storno = compute(cancellation(original))
    assert (storno.net, storno.vat, storno.gross) == (D("-3187.50"), D("-605.63"), D("-3793.13"))


@pytest.mark.parametrize(
    "bad",
    [
        line("1", "10", rate="16"),
        line("1", "10", category="AE", rate="19"),
        line("1", "10", category="X"),
    ],
)
def test_invalid_rates_and_categories_are_refused(bad):
    with pytest.raises(ValueError):
        compute([bad])


def test_floats_are_refused():
    with pytest.raises(TypeError):
        compute([LineInput(1.5, D("10"), "S", D("19"))])


amounts = st.decimals(min_value=D("-1000"), max_value=D("1000"), places=2)
quantities = st.decimals(min_value=D("-100"), max_value=D("100"), places=3)


@settings(max_examples=1000, derandomize=True)
@given(
    st.lists(st.tuples(quantities, amounts, st.sampled_from(["19", "7"])), min_size=1, max_size=12)
)
def test_totals_add_up_and_cancellation_cancels(rows):
    lines = [LineInput(q, p, "S", D(r)) for q, p, r in rows]
    totals = compute(lines)
    assert totals.gross == totals.net + totals.vat
    assert totals.net == sum(totals.line_nets, D("0"))
    for group in totals.groups:
        assert group.vat == (group.net * group.rate / 100).quantize(
            D("0.01"), rounding=ROUND_HALF_UP
        )
    storno = compute(cancellation(lines))
    assert (storno.net + totals.net, storno.vat + totals.vat, storno.gross + totals.gross) == (
        0,
        0,
        0,
    )
