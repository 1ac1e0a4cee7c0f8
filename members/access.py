"""Access functions: the only way views fetch members. Another cooperative's member, or one the
person may not see, raises Http404 exactly like a missing one."""

from __future__ import annotations

from django.http import Http404

from core.policies import ACCOUNTANT, STAFF
from members.models import Member


def member_visible_queryset(*, tenancy, user):
    queryset = Member.objects.all()
    if tenancy.has_any(STAFF, ACCOUNTANT):
        return queryset
    return queryset.filter(user=user)


def member_get_for(*, tenancy, user, pk: int) -> Member:
    member = member_visible_queryset(tenancy=tenancy, user=user).filter(pk=pk).first()
    if member is None:
        raise Http404
    return member
