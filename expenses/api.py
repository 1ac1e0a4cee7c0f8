"""The member's expense claims in the API: list, submit (multipart with the receipt), receipt."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.downloads import binary_responses
from core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from core.policies import MEMBER
from expenses import access, services
from expenses.forms import ExpenseClaimForm
from expenses.models import ExpenseClaim
from expenses.receipts import EXTENSIONS as _RECEIPT_EXTENSIONS
from expenses.views import claim_input, receipt_response
from members import access as member_access

RECEIPT_TYPES = list(_RECEIPT_EXTENSIONS.values())
MONEY = {"max_digits": 14, "decimal_places": 2}


class ClaimSerializer(serializers.ModelSerializer):
    vat = serializers.DecimalField(**MONEY, read_only=True)
    reimbursed_in = serializers.SerializerMethodField()
    receipt = serializers.SerializerMethodField()

    class Meta:
        model = ExpenseClaim
        fields = [
            "id",
            "status",
            "category",
            "description",
            "supplier",
            "receipt_date",
            "receipt_number",
            "gross",
            "vat_19",
            "vat_7",
            "vat",
            "net",
            "read_from_einvoice",
            "reject_reason",
            "submitted_at",
            "decided_at",
            "reimbursed_in",
            "receipt",
        ]

    def get_reimbursed_in(self, claim) -> str | None:
        line = claim.payroll_line
        return line.run.month.strftime("%Y-%m") if line else None

    def get_receipt(self, claim) -> str:
        return f"/api/v1/members/me/expenses/{claim.pk}/receipt/"


class ClaimCreateSerializer(serializers.Serializer):
    """Supplier, date and amounts may be left out when the receipt is an e-invoice."""

    receipt = serializers.FileField()
    category = serializers.ChoiceField(choices=ExpenseClaim.Category.choices)
    description = serializers.CharField(max_length=200)
    supplier = serializers.CharField(max_length=140, required=False, allow_blank=True)
    receipt_date = serializers.DateField(required=False, allow_null=True)
    receipt_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    gross = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    vat_rate = serializers.ChoiceField(
        choices=[c for c, _label in ExpenseClaimForm.base_fields["vat_rate"].choices],
        default="19",
    )


class OwnExpenseListApi(APIView):
    """The caller's expense claims, newest first; POST submits a claim with its receipt."""

    role_policy = frozenset({MEMBER})
    parser_classes = [MultiPartParser]

    @extend_schema(responses=ClaimSerializer(many=True), operation_id="members_me_expenses")
    def get(self, request):
        member = member_access.own_member(user=request.user)
        return Response(ClaimSerializer(access.own_claims(member=member), many=True).data)

    @extend_schema(
        request={"multipart/form-data": ClaimCreateSerializer},
        responses={201: ClaimSerializer},
        operation_id="members_me_expenses_create",
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        member = member_access.own_member(user=request.user)
        data = ClaimCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["vat_rate"] = Decimal(values["vat_rate"])
        claim = services.expense_submit(
            member=member,
            actor=request.user,
            values=claim_input(values),
            upload=values["receipt"],
        )
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class OwnExpenseReceiptApi(APIView):
    role_policy = frozenset({MEMBER})

    @extend_schema(
        responses=binary_responses(*sorted(set(RECEIPT_TYPES))),
        operation_id="members_me_expense_receipt",
    )
    def get(self, request, pk: int):
        member = member_access.own_member(user=request.user)
        return receipt_response(access.own_claim(member=member, pk=pk))
