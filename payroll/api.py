"""Payroll in the API: a member's salaries and payslips; approved runs, their journal and the
salary transfer file for staff and accountants."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.downloads import binary_responses
from core.policies import ACCOUNTANT, MEMBER, STAFF
from members import access as member_access
from payroll import access, categories, handoff, planner, views
from payroll.models import CertifiedResult, PayrollLine, PayrollRun

MONEY = {"max_digits": 14, "decimal_places": 2}


class SalarySerializer(serializers.ModelSerializer):
    month = serializers.DateField(source="run.month")
    taxes = serializers.DecimalField(**MONEY)
    payslip = serializers.SerializerMethodField()

    class Meta:
        model = PayrollLine
        fields = [
            "id",
            "month",
            "band",
            "hours",
            "gross",
            "wage_tax",
            "solidarity_surcharge",
            "church_tax",
            "taxes",
            "employee_social_insurance",
            "net",
            "employer_social_insurance",
            "employer_levies",
            "employer_cost",
            "average_inflow",
            "budget_before",
            "budget_after",
            "payslip",
        ]

    def get_payslip(self, line) -> str | None:
        if not line.gross:
            return None
        return f"/api/v1/members/me/salaries/{line.pk}/payslip/"


class OwnSalaryListApi(generics.ListAPIView):
    """The caller's approved salaries, newest month first."""

    role_policy = frozenset({MEMBER})
    serializer_class = SalarySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PayrollLine._base_manager.none()
        member = member_access.own_member(user=self.request.user)
        return access.own_salary_lines(member=member)

    @extend_schema(operation_id="members_me_salaries")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OwnPayslipApi(APIView):
    """The payslip of one of the caller's salaries (PDF, in the caller's language)."""

    role_policy = frozenset({MEMBER})

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        operation_id="members_me_payslip",
    )
    def get(self, request, pk: int):
        member = member_access.own_member(user=request.user)
        return views.payslip_response(access.own_salary_line(member=member, pk=pk))


class RunSerializer(serializers.ModelSerializer):
    prepared_by = serializers.StringRelatedField()
    approved_by = serializers.StringRelatedField()
    transfer_file = serializers.SerializerMethodField()

    class Meta:
        model = PayrollRun
        fields = [
            "id",
            "month",
            "status",
            "lines_count",
            "gross",
            "net",
            "employer_cost",
            "warnings_count",
            "prepared_by",
            "approved_by",
            "approved_at",
            "transfer_file",
        ]

    def get_transfer_file(self, run) -> str | None:
        return f"/api/v1/payroll/runs/{run.pk}/transfer-file/" if run.payment_file_id else None


class PayrollRunListApi(generics.ListAPIView):
    """Approved payroll runs, newest month first."""

    role_policy = frozenset({STAFF, ACCOUNTANT})
    serializer_class = RunSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PayrollRun._base_manager.none()
        return access.approved_runs(tenancy=self.request.tenancy)

    @extend_schema(operation_id="payroll_runs_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PayrollJournalApi(APIView):
    """The run's payroll journal as csv or pdf."""

    role_policy = frozenset({STAFF, ACCOUNTANT})

    @extend_schema(
        responses=binary_responses("text/csv", "application/pdf"),
        operation_id="payroll_runs_journal",
    )
    def get(self, request, pk: int, fmt: str):
        return views.journal_response(access.approved_run_get(tenancy=request.tenancy, pk=pk), fmt)


class PayrollTransferFileApi(APIView):
    """The run's SEPA credit transfer file of net salaries (pain.001.001.09, SALA)."""

    role_policy = frozenset({STAFF, ACCOUNTANT})

    @extend_schema(
        responses={(200, "application/xml"): OpenApiTypes.BINARY},
        operation_id="payroll_runs_transfer_file",
    )
    def get(self, request, pk: int):
        return views.transfer_file_response(access.approved_run_get(tenancy=request.tenancy, pk=pk))


class PayrollLodasApi(APIView):
    """The approved run's inputs for DATEV LODAS (ASCII import file, Windows-1252)."""

    role_policy = frozenset({STAFF, ACCOUNTANT})

    @extend_schema(
        responses={(200, "text/plain"): OpenApiTypes.BINARY},
        operation_id="payroll_runs_lodas",
    )
    def get(self, request, pk: int):
        return views.lodas_response(access.approved_run_get(tenancy=request.tenancy, pk=pk))


class CertifiedResultSerializer(serializers.ModelSerializer):
    member = serializers.StringRelatedField()
    member_number = serializers.IntegerField(source="member.member_number")
    shadow_net = serializers.DecimalField(source="line.net", **MONEY)
    shadow_employer_cost = serializers.DecimalField(source="line.employer_cost", **MONEY)

    class Meta:
        model = CertifiedResult
        fields = [
            "id",
            "member",
            "member_number",
            "gross",
            "taxes",
            "net",
            "employer_cost",
            "shadow_net",
            "shadow_employer_cost",
            "net_difference",
            "employer_cost_difference",
            "source_name",
            "imported_at",
        ]


class CertifiedUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ImportSummarySerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    differences = serializers.IntegerField()
    total_difference = serializers.DecimalField(**MONEY)
    missing = serializers.ListField(child=serializers.CharField())


class CertifiedResultsApi(APIView):
    """The certified payroll results of an approved run. POST a CSV file (Personalnummer,
    Brutto, Steuern, Netto, AG-Kosten) to import them; differences are posted to the budgets.
    A refused file answers 400 with every problem in `details.problems`."""

    role_policy = frozenset({STAFF, ACCOUNTANT})
    write_role_policy = frozenset({STAFF})
    parser_classes = [MultiPartParser]

    @extend_schema(
        responses=CertifiedResultSerializer(many=True), operation_id="payroll_runs_certified"
    )
    def get(self, request, pk: int):
        run = access.approved_run_get(tenancy=request.tenancy, pk=pk)
        results = run.certified.select_related("member", "line").order_by("member__member_number")
        return Response(CertifiedResultSerializer(results, many=True).data)

    @extend_schema(
        request={"multipart/form-data": CertifiedUploadSerializer},
        responses={200: ImportSummarySerializer},
        operation_id="payroll_runs_certified_import",
    )
    def post(self, request, pk: int):
        run = access.approved_run_get(tenancy=request.tenancy, pk=pk)
        upload = CertifiedUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        summary = handoff.certified_results_import(
            run=run,
            content=file.read(handoff.MAX_FILE_BYTES + 1),
            name=file.name,
            actor=request.user,
        )
        return Response(ImportSummarySerializer(summary).data)


class PlanSalarySerializer(serializers.Serializer):
    employer_cost = serializers.DecimalField(**MONEY)
    gross = serializers.DecimalField(**MONEY)
    net = serializers.DecimalField(**MONEY)
    band = serializers.CharField()


class PlanMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    income = serializers.DecimalField(**MONEY)
    employer_cost = serializers.DecimalField(**MONEY)


class SalaryPlanSerializer(serializers.Serializer):
    months = serializers.IntegerField(source="what_if.months")
    budget = serializers.DecimalField(**MONEY)
    reserve = serializers.DecimalField(**MONEY)
    open_invoices = serializers.DecimalField(**MONEY)
    confirmed_jobs = serializers.DecimalField(**MONEY)
    planned_jobs = serializers.DecimalField(**MONEY)
    extra_income = serializers.DecimalField(**MONEY)
    available = serializers.DecimalField(**MONEY)
    average_inflow = serializers.DecimalField(**MONEY)
    sustainable = PlanSalarySerializer(allow_null=True)
    averaging_rule = PlanSalarySerializer(allow_null=True)
    missing_tax_data = serializers.BooleanField()
    history = PlanMonthSerializer(many=True)


class PlannerQuerySerializer(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=24, required=False)
    extra_income = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False
    )
    collection_rate = serializers.IntegerField(min_value=0, max_value=100, required=False)
    include_planned = serializers.BooleanField(required=False, default=True)


class OwnSalaryPlanApi(APIView):
    """The salary planner: the sustainable salary for the coming months from budget, open
    invoices and jobs, with what-if query parameters, and the last twelve months."""

    role_policy = frozenset({MEMBER})

    @extend_schema(
        parameters=[PlannerQuerySerializer],
        responses=SalaryPlanSerializer,
        operation_id="members_me_salary_plan",
    )
    def get(self, request):
        member = member_access.own_member(user=request.user)
        query = PlannerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        plan = planner.salary_plan(member=member, what_if=views.what_if_of(query.validated_data))
        return Response(SalaryPlanSerializer(plan).data)


class CategoryOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="category.pk")
    name = serializers.CharField(source="category.name")
    description = serializers.CharField(source="category.description")
    gross = serializers.DecimalField(**MONEY)
    net = serializers.DecimalField(**MONEY)
    employer_cost = serializers.DecimalField(**MONEY)
    sustainable = serializers.BooleanField()


class CategoryOfferSerializer(serializers.Serializer):
    offered = serializers.BooleanField()
    months = serializers.IntegerField()
    sustainable_employer_cost = serializers.DecimalField(allow_null=True, **MONEY)
    chosen = serializers.IntegerField(source="chosen.category_id", allow_null=True, default=None)
    options = CategoryOptionSerializer(many=True)


class CategoryChoiceSerializer(serializers.Serializer):
    category = serializers.IntegerField(
        allow_null=True, help_text="A category id from `options`, or null for none."
    )


class OwnSalaryCategoryApi(APIView):
    """The salary categories offered, priced for the caller and checked against their budget and
    forecast (GET); choosing one or none (PUT), refused with 400 when the money does not
    sustain it."""

    role_policy = frozenset({MEMBER})

    @extend_schema(responses=CategoryOfferSerializer, operation_id="members_me_salary_category")
    def get(self, request):
        member = member_access.own_member(user=request.user)
        offer = categories.salary_category_offer(member=member)
        return Response(CategoryOfferSerializer(offer).data)

    @extend_schema(
        request=CategoryChoiceSerializer,
        responses=CategoryOfferSerializer,
        operation_id="members_me_salary_category_choose",
    )
    def put(self, request):
        member = member_access.own_member(user=request.user)
        data = CategoryChoiceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = None
        if data.validated_data["category"] is not None:
            category = access.salary_category_of(pk=data.validated_data["category"])
            if category is None:
                raise serializers.ValidationError(
                    {"category": [_("This category is not offered any more.")]}
                )
        categories.salary_category_choose(member=member, category=category, actor=request.user)
        offer = categories.salary_category_offer(member=member)
        return Response(CategoryOfferSerializer(offer).data)
