from __future__ import annotations

from django.shortcuts import render

from core.policies import ACCOUNTANT, AUTHENTICATED, MEMBER, STAFF, role_policy
from members.access import member_get_for
from members.models import Member
from tenancy.models import Role


@role_policy(AUTHENTICATED)
def dashboard(request):
    tenancy = request.tenancy
    own_member = None
    member_count = None
    if tenancy.cooperative is not None:
        own_member = Member.objects.filter(user=request.user).first()
        if tenancy.has_any(STAFF, ACCOUNTANT):
            member_count = Member.objects.filter(status=Member.Status.ACTIVE).count()
    role_labels = [Role(role).label for role in sorted(tenancy.roles)]
    return render(
        request,
        "members/dashboard.html",
        {"own_member": own_member, "member_count": member_count, "role_labels": role_labels},
    )


@role_policy(MEMBER, STAFF, ACCOUNTANT)
def member_detail(request, pk: int):
    member = member_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    return render(request, "members/member_detail.html", {"member": member})
