"""Leaving (§ 65 GenG notice to the financial year end, § 73 repayment after it)."""

from __future__ import annotations

from datetime import date

import pytest

from core.exceptions import ApplicationError
from members import services
from members.models import Member
from tenancy.scope import tenant_scope


@pytest.mark.parametrize(
    "given_on,start_month,left_on",
    [
        (date(2026, 9, 30), 1, date(2026, 12, 31)),  # three months before: this year end
        (date(2026, 10, 1), 1, date(2027, 12, 31)),  # too late: next year end
        (date(2026, 1, 2), 1, date(2026, 12, 31)),
        (date(2026, 3, 31), 7, date(2026, 6, 30)),  # financial year July–June
        (date(2026, 4, 1), 7, date(2027, 6, 30)),
        (date(2026, 7, 1), 7, date(2027, 6, 30)),
    ],
)
def test_leaving_dates(given_on, start_month, left_on):
    result, repayment = services.leaving_dates(
        given_on=given_on, financial_year_start_month=start_month
    )
    assert result == left_on
    # § 73 (2) GenG: paid within six months after leaving.
    assert (repayment - left_on).days in range(181, 185) and repayment.day >= 28


@pytest.mark.django_db
def test_notice_keeps_the_member_active_until_the_year_end(alice):
    with tenant_scope(alice.cooperative):
        member = Member.objects.get(pk=alice.member.pk)
        services.member_give_notice(member=member, actor=alice.user, given_on=date(2026, 2, 1))
        member.refresh_from_db()
        assert (member.status, member.left_on) == ("active", date(2026, 12, 31))
        assert member.share_repayment_due_on == date(2027, 6, 30)
        with pytest.raises(ApplicationError):
            services.member_give_notice(member=member, actor=alice.user)
        assert services.members_close_departures(on=date(2026, 12, 31)) == 0
        assert services.members_close_departures(on=date(2027, 1, 1)) == 1
        assert services.members_close_departures(on=date(2027, 1, 1)) == 0  # idempotent
        member.refresh_from_db()
        assert member.status == "left"
        assert member.status_changes.first().to_status == "left"


@pytest.mark.django_db
def test_the_portal_notice_page(login, alice):
    client = login(alice)
    assert client.get("/notice/").status_code == 200
    response = client.post("/notice/", {})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post("/notice/", {"confirm": "on", "reason": "moving abroad"})
    assert response.status_code == 302
    with tenant_scope(alice.cooperative):
        assert Member.objects.get(pk=alice.member.pk).notice_given_on is not None
