"""Payment status, payments and reminders of an invoice, for its member, staff and accountants."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from banking.models import Allocation
from core.policies import ACCOUNTANT, MEMBER, STAFF
from dunning.models import Reminder
from dunning.views import collection_context
from invoicing import access


class AllocationSerializer(serializers.ModelSerializer):
    booked = serializers.DateField(source="transaction.booking_date")

    class Meta:
        model = Allocation
        fields = ["booked", "amount", "method", "explanation", "undone_at", "undo_reason"]


class ReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reminder
        fields = ["level", "dated", "pay_by", "open_amount", "interest", "fee", "total"]


class CollectionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["open", "partially_paid", "paid", "overpaid", "settled", ""]
    )
    due = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    open = serializers.DecimalField(max_digits=14, decimal_places=2)
    dunning_paused = serializers.BooleanField()
    escalated = serializers.BooleanField()
    payments = AllocationSerializer(many=True)
    reminders = ReminderSerializer(many=True)


class InvoiceCollectionApi(APIView):
    """Payment status of an issued invoice, the payments applied and the reminders sent."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})

    @extend_schema(responses=CollectionSerializer, operation_id="invoices_collection")
    def get(self, request, pk: int):
        invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
        context = collection_context(invoice)
        data = {
            **context["payment"],
            "dunning_paused": context["pause"] is not None,
            "escalated": context["escalation"] is not None,
            "payments": list(context["allocations"]),
            "reminders": list(context["reminders"]),
        }
        return Response(CollectionSerializer(data).data)
