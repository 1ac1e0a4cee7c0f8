"""Access functions: the only way views fetch members and their documents. Another
cooperative's object, or one the person may not see, raises Http404 exactly like a missing one."""

from __future__ import annotations

from django.http import Http404

from core.policies import ACCOUNTANT, STAFF
from members.models import EmploymentDataChange, Member, MemberDocument

REGISTER_STATUSES = ("active", "suspended", "left")


def member_visible_queryset(*, tenancy, user):
    """Staff see every member and applicant; accountants the member register (not applicants);
    anyone else only themselves — whatever other roles they hold."""
    queryset = Member.objects.select_related("user")
    if tenancy.has_any(STAFF):
        return queryset
    if tenancy.has_any(ACCOUNTANT):
        return queryset.filter(status__in=REGISTER_STATUSES) | queryset.filter(user=user)
    return queryset.filter(user=user)


def member_get_own_or_staff(*, tenancy, user, pk: int) -> Member:
    """Personal documents of a member (the signed declaration): the member and staff only."""
    queryset = Member.objects.select_related("user", "cooperative")
    if not tenancy.has_any(STAFF):
        queryset = queryset.filter(user=user)
    member = queryset.filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


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


def document_get_for(*, tenancy, user, pk: int, own_only: bool = False) -> MemberDocument:
    """The owner and staff may open a document; accountants may not (personal data). Changes
    (own_only) are for the owner alone, even when the owner is also staff."""
    queryset = MemberDocument.objects.select_related("member")
    if own_only or not tenancy.has_any(STAFF):
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
