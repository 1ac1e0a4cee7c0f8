"""Access functions: the only way views fetch members and their documents. Another
cooperative's object, or one the person may not see, raises Http404 exactly like a missing one."""

from __future__ import annotations

from django.http import Http404

from core.policies import ACCOUNTANT, STAFF
from members.models import EmploymentDataChange, Member, MemberDocument


def member_visible_queryset(*, tenancy, user):
    """Staff and accountants see the cooperative's members; a member sees themselves."""
    queryset = Member.objects.select_related("user")
    if tenancy.has_any(STAFF, ACCOUNTANT):
        return queryset
    return queryset.filter(user=user)


def member_get_for(*, tenancy, user, pk: int) -> Member:
    member = member_visible_queryset(tenancy=tenancy, user=user).filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


def own_member(*, user) -> Member:
    """The person's own record in the active cooperative."""
    member = Member.objects.select_related("user", "cooperative").filter(user=user).first()
    if member is None:
        raise Http404
    return member


def application_get_for_staff(*, tenancy, pk: int) -> Member:
    if not tenancy.has_any(STAFF):
        raise Http404
    member = Member.objects.select_related("user").filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


def document_get_for(*, tenancy, user, pk: int) -> MemberDocument:
    """The owner and staff may open a document; accountants may not (personal data)."""
    queryset = MemberDocument.objects.select_related("member")
    if not tenancy.has_any(STAFF):
        queryset = queryset.filter(member__user=user)
    document = queryset.filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


def employment_change_get_for_staff(*, tenancy, pk: int) -> EmploymentDataChange:
    if not tenancy.has_any(STAFF):
        raise Http404
    change = EmploymentDataChange.objects.select_related("member").filter(pk=pk).first()
    if change is None:
        raise Http404
    return change
