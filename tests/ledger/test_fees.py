"""Fee rules as worked examples (domain-de.md T8 and the three anchors) and as properties."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.fees import FeeTerms, monthly_floor_top_up, split_revenue

D = Decimal
SMART_DE = FeeTerms(percentage=D("9"))
SMART_BE = FeeTerms(percentage=D("6.5"))
FLOOR_CAP = FeeTerms(
    percentage=D("12"), floor_amount=D("40"), floor_per_invoice=False, cap_per_year=D("8400")
)


def test_t8_nine_percent_of_3187_50():
    split = split_revenue(D("3187.50"), SMART_DE)
    assert split.fee == D("286.88")  # 286.875 rounded half-up
    assert split.budget == D("2900.62")


def test_six_and_a_half_percent():
    split = split_revenue(D("1000.00"), SMART_BE)
    assert (split.fee, split.budget) == (D("65.00"), D("935.00"))


def test_guarantee_contribution_is_taken_besides_the_fee():
    split = split_revenue(D("1000.00"), FeeTerms(percentage=D("6.5"), guarantee_percentage=D("2")))
    assert (split.fee, split.guarantee, split.budget) == (D("65.00"), D("20.00"), D("915.00"))


def test_yearly_cap_limits_the_fee():
    assert split_revenue(D("10000"), FLOOR_CAP, fees_this_year=D("8000")).fee == D("400.00")
    assert split_revenue(D("10000"), FLOOR_CAP, fees_this_year=D("8400")).fee == D("0.00")


def test_monthly_floor_tops_up_to_40():
    # 12 % of 200 € = 24 € this month: 16 € more.
    assert monthly_floor_top_up(
        FLOOR_CAP, fees_this_month=D("24.00"), fees_this_year=D("24.00"), had_revenue=True
    ) == D("16.00")
    assert monthly_floor_top_up(
        FLOOR_CAP, fees_this_month=D("60.00"), fees_this_year=D("60.00"), had_revenue=True
    ) == D("0.00")
    assert monthly_floor_top_up(
        FLOOR_CAP, fees_this_month=D("0"), fees_this_year=D("0"), had_revenue=False
    ) == D("0.00")
    assert monthly_floor_top_up(  # the cap wins over the floor
        FLOOR_CAP, fees_this_month=D("0"), fees_this_year=D("8390"), had_revenue=True
    ) == D("10.00")


def test_floor_per_invoice_never_exceeds_the_invoice():
    terms = FeeTerms(percentage=D("9"), floor_amount=D("40"))
    assert split_revenue(D("100.00"), terms).fee == D("40.00")
    assert split_revenue(D("25.00"), terms).fee == D("25.00")


def test_negative_amounts_are_not_split():
    # Cancellations reverse the original postings (exactly the fee charged comes back).
    import pytest

    with pytest.raises(ValueError):
        split_revenue(D("-3187.50"), SMART_DE)


money = st.decimals(min_value=D("0"), max_value=D("50000"), places=2, allow_nan=False)
percent = st.decimals(min_value=D("0"), max_value=D("30"), places=2)


@settings(max_examples=1000, derandomize=True)
@given(
    net=money,
    pct=percent,
    guarantee=percent,
    spent=st.decimals(min_value=0, max_value=9000, places=2),
)
def test_the_split_always_adds_up_to_the_net_amount(net, pct, guarantee, spent):
    terms = FeeTerms(percentage=pct, guarantee_percentage=guarantee, cap_per_year=D("8400"))
    split = split_revenue(net, terms, fees_this_year=spent)
    assert split.fee + split.guarantee + split.budget == net
    for amount in (split.fee, split.guarantee, split.budget):
        assert amount == amount.quantize(D("0.01"))
    assert split.fee >= 0 and split.budget >= 0


@settings(max_examples=200, deadline=None)
@given(
    net=st.decimals(min_value=D("0.01"), max_value=D("20000"), places=2),
    cut=st.decimals(min_value=D("0.01"), max_value=D("0.99"), places=2),
    floor=st.sampled_from([None, D("25"), D("40")]),
)
def test_an_invoice_paid_in_parts_is_charged_the_fee_of_one_full_payment(net, cut, floor):
    """Two part payments carry the same fee as the whole invoice paid at once: the minimum
    once per invoice, the percentage rounded once on the total."""
    terms = FeeTerms(percentage=D("9"), floor_amount=floor)
    first_net = (net * cut).quantize(D("0.01"))
    first = split_revenue(first_net, terms)
    second = split_revenue(net - first_net, terms, net_before=first_net, fee_before=first.fee)
    whole = split_revenue(net, terms)
    if first.fee < first_net:  # not limited by the part's own amount
        assert first.fee + second.fee == whole.fee
