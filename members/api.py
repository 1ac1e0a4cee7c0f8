from __future__ import annotations

from rest_framework import generics, serializers

from core.policies import ACCOUNTANT, MEMBER, STAFF
from members.access import member_get_for, member_visible_queryset
from members.models import Member


class MemberOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = [
            "id",
            "member_number",
            "first_name",
            "last_name",
            "status",
            "joined_on",
            "left_on",
        ]


class MemberListApi(generics.ListAPIView):
    """Members of the active cooperative: staff and accountants see all, a member themselves."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})
    serializer_class = MemberOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Member._base_manager.none()
        return member_visible_queryset(tenancy=self.request.tenancy, user=self.request.user)


class MemberDetailApi(generics.RetrieveAPIView):
    """One member; another cooperative's member answers 404 like a missing one."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})
    serializer_class = MemberOutputSerializer

    def get_object(self):
        return member_get_for(
            tenancy=self.request.tenancy, user=self.request.user, pk=self.kwargs["pk"]
        )
