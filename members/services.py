"""Writes on the member register."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from members.models import Member
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope


def member_create(
    *,
    cooperative: Cooperative,
    user: User,
    first_name: str,
    last_name: str,
    status: str = Member.Status.APPLICANT,
    joined_on: date | None = None,
) -> Member:
    """Enter a person in the member register with the next free member number."""
    with tenant_scope(cooperative), transaction.atomic():
        # Lock the cooperative row: member numbers are allocated one at a time per cooperative.
        Cooperative.objects.select_for_update().filter(pk=cooperative.pk).first()
        last = Member.objects.aggregate(last=Max("member_number"))["last"] or 0
        member = Member(
            cooperative=cooperative,
            user=user,
            member_number=last + 1,
            first_name=first_name,
            last_name=last_name,
            status=status,
            joined_on=joined_on,
        )
        member.full_clean()
        member.save()
    return member


def members_close_departures(*, on: date | None = None) -> int:
    """Mark active members whose leaving date has passed as left (idempotent)."""
    on = on or timezone.localdate()
    return Member.objects.filter(status=Member.Status.ACTIVE, left_on__lte=on).update(
        status=Member.Status.LEFT
    )
