"""Every lifecycle transition, allowed and forbidden, in the service and in the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from members import services
from members.models import Member, MemberStatusChange
from tenancy.models import User
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db
S = Member.Status

ALLOWED = {(a, b) for a, targets in Member.TRANSITIONS.items() for b in targets}
ALL_PAIRS = [(a, b) for a in S for b in S if a != b]


def _member_in(cooperative, status: str) -> Member:
    user = User.objects.create_user(f"{status}-{User.objects.count()}@example.org", "x")
    member = services.member_create(
        cooperative=cooperative, user=user, first_name="Test", last_name=status.title()
    )
    with tenant_scope(cooperative):
        # Walk the real path to the wanted status.
        path = {
            S.APPLICANT: [],
            S.APPROVED: [S.APPROVED],
            S.REJECTED: [S.REJECTED],
            S.ACTIVE: [S.APPROVED, S.ACTIVE],
            S.SUSPENDED: [S.APPROVED, S.ACTIVE, S.SUSPENDED],
            S.LEFT: [S.APPROVED, S.ACTIVE, S.LEFT],
        }[S(status)]
        for step in path:
            extra = {}
            if step == S.ACTIVE and member.member_number is None:
                extra = {"member_number": 900 + member.pk, "joined_on": date(2026, 1, 1)}
            if step == S.LEFT:
                extra = {"left_on": date(2026, 12, 31)}
            services.member_transition(member=member, to=step, actor=None, reason="setup", **extra)
        return Member.objects.get(pk=member.pk)


def test_the_lifecycle_is_the_documented_one():
    assert {
        ("applicant", "approved"),
        ("applicant", "rejected"),
        ("approved", "active"),
        ("approved", "rejected"),
        ("active", "suspended"),
        ("active", "left"),
        ("suspended", "active"),
        ("suspended", "left"),
    } == ALLOWED


@pytest.mark.parametrize("from_status,to_status", ALL_PAIRS)
def test_service_allows_exactly_the_lifecycle(coop_a, sabine, from_status, to_status):
    member = _member_in(coop_a, from_status)
    with tenant_scope(coop_a):
        extra = {}
        if to_status == S.ACTIVE and member.member_number is None:
            extra = {"member_number": 777, "joined_on": date(2026, 1, 1)}
        if to_status == S.LEFT:
            extra = {"left_on": member.left_on or date(2026, 12, 31)}
        before = MemberStatusChange.objects.filter(member=member).count()
        if (from_status, to_status) in ALLOWED:
            services.member_transition(
                member=member, to=to_status, actor=sabine.user, reason="test", **extra
            )
            change = MemberStatusChange.objects.filter(member=member).first()
            assert (change.from_status, change.to_status, change.actor) == (
                from_status,
                to_status,
                sabine.user,
            )
        else:
            with pytest.raises(ApplicationError) as error:
                services.member_transition(member=member, to=to_status, actor=sabine.user)
            assert error.value.code == "transition_not_allowed"
            assert MemberStatusChange.objects.filter(member=member).count() == before
            assert Member.objects.get(pk=member.pk).status == from_status


@pytest.mark.postgres
@pytest.mark.parametrize("from_status,to_status", ALL_PAIRS)
def test_database_refuses_forbidden_transitions(coop_a, from_status, to_status):
    member = _member_in(coop_a, from_status)
    with tenant_scope(coop_a), connection.cursor() as cursor:
        cursor.execute("SAVEPOINT t")
        try:
            with transaction.atomic():
                cursor.execute(
                    "UPDATE members_member SET status = %s, member_number = "
                    "coalesce(member_number, 555), joined_on = coalesce(joined_on, '2026-01-01'),"
                    " left_on = coalesce(left_on, '2026-12-31') WHERE id = %s",
                    [to_status, member.pk],
                )
            refused = False
        except Exception:  # the FSM trigger raises
            refused = True
        cursor.execute("ROLLBACK TO SAVEPOINT t")
    assert refused is ((from_status, to_status) not in ALLOWED)


def test_database_constraints_hold_for_the_register(coop_a):
    member = _member_in(coop_a, S.APPROVED)
    with tenant_scope(coop_a), pytest.raises(IntegrityError), transaction.atomic():
        # Active without a member number is impossible.
        Member.objects.filter(pk=member.pk).update(status=S.ACTIVE)


def test_approval_then_payment_activates_with_the_next_number(coop_a, sabine, alice):
    member = _member_in(coop_a, S.APPLICANT)
    with tenant_scope(coop_a):
        services.application_approve(member=member, actor=sabine.user)
        assert member.status == S.APPROVED and member.member_number is None
        services.share_payment_record(
            member=member, amount=Decimal("20.00"), paid_on=date(2026, 11, 2), actor=sabine.user
        )
        member.refresh_from_db()
        assert member.status == S.APPROVED  # 20 of 50 € paid
        services.share_payment_record(
            member=member, amount=Decimal("30.00"), paid_on=date(2026, 11, 3), actor=sabine.user
        )
        member.refresh_from_db()
        assert member.status == S.ACTIVE
        assert member.member_number == alice.member.member_number + 1
        # Admitted when the last condition was met: the payment, as it came after approval.
        assert member.joined_on == max(
            date(2026, 11, 3), timezone.localtime(member.decided_at).date()
        )


def test_payment_before_approval_activates_on_approval(coop_a, sabine):
    member = _member_in(coop_a, S.APPLICANT)
    with tenant_scope(coop_a):
        services.share_payment_record(
            member=member, amount=Decimal("50.00"), paid_on=date(2026, 11, 1), actor=sabine.user
        )
        assert Member.objects.get(pk=member.pk).status == S.APPLICANT
        services.application_approve(member=member, actor=sabine.user)
        assert Member.objects.get(pk=member.pk).status == S.ACTIVE


def test_bad_payments_are_refused(coop_a, sabine):
    member = _member_in(coop_a, S.REJECTED)
    with tenant_scope(coop_a):
        with pytest.raises(ApplicationError):
            services.share_payment_record(
                member=member, amount=Decimal("50"), paid_on=date(2026, 1, 1), actor=sabine.user
            )
        other = _member_in(coop_a, S.APPROVED)
        for amount, paid_on in ((Decimal("0"), date(2026, 1, 1)), (Decimal("5"), date(2099, 1, 1))):
            with pytest.raises(ApplicationError):
                services.share_payment_record(
                    member=other, amount=amount, paid_on=paid_on, actor=sabine.user
                )


def test_reject_suspend_and_request_info_need_a_reason(coop_a, sabine):
    applicant = _member_in(coop_a, S.APPLICANT)
    active = _member_in(coop_a, S.ACTIVE)
    with tenant_scope(coop_a):
        for call in (
            lambda: services.application_reject(member=applicant, actor=sabine.user, reason=" "),
            lambda: services.application_request_info(
                member=applicant, actor=sabine.user, message=""
            ),
            lambda: services.member_suspend(member=active, actor=sabine.user, reason=""),
        ):
            with pytest.raises(ApplicationError) as error:
                call()
            assert error.value.code == "reason_required"
        services.application_request_info(
            member=applicant, actor=sabine.user, message="Please upload your permit."
        )
        assert Member.objects.get(pk=applicant.pk).info_requested == "Please upload your permit."
        services.member_suspend(member=active, actor=sabine.user, reason="no insurance proof")
        services.member_reinstate(member=active, actor=sabine.user)
        assert Member.objects.get(pk=active.pk).status == S.ACTIVE


def test_every_transition_mails_the_member_in_their_language(coop_a, sabine, settings, mailoutbox):
    member = _member_in(coop_a, S.APPLICANT)
    member.user.language = "de"
    member.user.save()
    with tenant_scope(coop_a):
        services.application_approve(member=member, actor=sabine.user)
    mail = mailoutbox[-1]
    assert mail.to == [member.user.email]
    assert "genehmigt" in mail.subject.lower() or "angenommen" in mail.subject.lower()
    assert member.share_reference.replace(" ", "")[:4] in mail.body.replace(" ", "")
    assert mail.alternatives and mail.alternatives[0][1] == "text/html"


def test_membership_never_starts_before_the_approval(coop_a, sabine):
    member = _member_in(coop_a, S.APPLICANT)
    with tenant_scope(coop_a):
        services.application_approve(member=member, actor=sabine.user)
        services.share_payment_record(
            member=member, amount=Decimal("50.00"), paid_on=date(2020, 1, 1), actor=sabine.user
        )
        member.refresh_from_db()
        assert member.status == S.ACTIVE
        assert member.joined_on == timezone.localtime(member.decided_at).date()


def test_a_stale_copy_cannot_overwrite_a_notice(coop_a, sabine):
    member = _member_in(coop_a, S.ACTIVE)
    with tenant_scope(coop_a):
        stale = Member.objects.get(pk=member.pk)
        services.member_give_notice(member=member, actor=sabine.user, given_on=date(2026, 2, 1))
        services.member_suspend(member=stale, actor=sabine.user, reason="unpaid fee")
        fresh = Member.objects.get(pk=member.pk)
        assert fresh.status == S.SUSPENDED and fresh.left_on == date(2026, 12, 31)
