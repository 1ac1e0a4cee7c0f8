from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.policies import MEMBER, STAFF
from ledger import selectors
from members import access


class StatementRowSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    booking_date = serializers.DateField()
    description = serializers.CharField()
    source = serializers.CharField()
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat = serializers.DecimalField(max_digits=14, decimal_places=2)
    fee = serializers.DecimalField(max_digits=14, decimal_places=2)
    guarantee = serializers.DecimalField(max_digits=14, decimal_places=2)
    pending = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)


class StatementSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member.pk")
    planned = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    invoiced_unpaid = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid_in = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid_out = serializers.DecimalField(max_digits=14, decimal_places=2)
    available = serializers.DecimalField(max_digits=14, decimal_places=2)
    rows = StatementRowSerializer(many=True)


class OwnBudgetApi(APIView):
    """The caller's budget statement: every booking with its fee, guarantee and balance."""

    role_policy = frozenset({MEMBER})

    @extend_schema(responses=StatementSerializer, operation_id="members_me_budget")
    def get(self, request):
        member = access.own_member(user=request.user)
        return Response(StatementSerializer(selectors.budget_statement(member=member)).data)


class MemberBudgetApi(APIView):
    """Any member's budget statement, for staff (or the member themselves)."""

    role_policy = frozenset({MEMBER, STAFF})

    @extend_schema(responses=StatementSerializer, operation_id="members_budget")
    def get(self, request, pk: int):
        member = access.member_get_own_or_staff(tenancy=request.tenancy, user=request.user, pk=pk)
        return Response(StatementSerializer(selectors.budget_statement(member=member)).data)
