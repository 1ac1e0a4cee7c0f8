"""Reports and the DATEV export in the API (staff and accountants): ask for one, follow its
progress, download it when it is ready."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.downloads import binary_responses
from core.policies import ACCOUNTANT, STAFF
from reports import access, cockpit, jobs, views
from reports.models import ReportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportJobSerializer(serializers.ModelSerializer):
    rows_done = serializers.SerializerMethodField()
    rows_total = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "report",
            "format",
            "params",
            "status",
            "rows_done",
            "rows_total",
            "checks",
            "error",
            "created_at",
            "finished_at",
            "download",
        ]

    def get_rows_done(self, job) -> int:
        return jobs.progress_of(job)[0]

    def get_rows_total(self, job) -> int:
        return jobs.progress_of(job)[1]

    def get_download(self, job) -> str | None:
        if job.status != ReportJob.Status.DONE:
            return None
        return f"/api/v1/reports/{job.pk}/download/"


class ReportRequestSerializer(serializers.Serializer):
    report = serializers.ChoiceField(choices=ReportJob.Report.choices)
    format = serializers.ChoiceField(choices=ReportJob.Format.choices)
    as_of = serializers.DateField(required=False, help_text="open_items, budgets")
    date_from = serializers.DateField(required=False, help_text="revenue, ustva, zm, datev")
    date_to = serializers.DateField(required=False, help_text="revenue, ustva, zm, datev")


class ReportJobListApi(APIView):
    """The cooperative's recent report jobs; POST asks for a new one (written by a worker)."""

    role_policy = frozenset({STAFF, ACCOUNTANT})

    @extend_schema(responses=ReportJobSerializer(many=True), operation_id="reports_list")
    def get(self, request):
        recent = access.report_jobs(tenancy=request.tenancy)[:50]
        return Response(ReportJobSerializer(recent, many=True).data)

    @extend_schema(
        request=ReportRequestSerializer,
        responses={202: ReportJobSerializer},
        operation_id="reports_create",
    )
    def post(self, request):
        data = ReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = jobs.report_job_request(
            cooperative=request.tenancy.cooperative,
            user=request.user,
            report=values["report"],
            format=values["format"],
            params={
                key: values[key].isoformat()
                for key in ("as_of", "date_from", "date_to")
                if key in values
            },
            language=request.LANGUAGE_CODE,
        )
        return Response(ReportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ReportJobApi(APIView):
    role_policy = frozenset({STAFF, ACCOUNTANT})

    @extend_schema(responses=ReportJobSerializer, operation_id="reports_retrieve")
    def get(self, request, pk: int):
        return Response(
            ReportJobSerializer(access.report_job_get(tenancy=request.tenancy, pk=pk)).data
        )


class ReportDownloadApi(APIView):
    role_policy = frozenset({STAFF, ACCOUNTANT})

    @extend_schema(
        responses=binary_responses("text/csv", XLSX, "application/pdf", "application/zip"),
        operation_id="reports_download",
    )
    def get(self, request, pk: int):
        return views.download_response(access.report_job_get(tenancy=request.tenancy, pk=pk))


MONEY = {"max_digits": 14, "decimal_places": 2}


class AgeingSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)


class ClientDaysSerializer(serializers.Serializer):
    name = serializers.CharField()
    open = serializers.DecimalField(**MONEY)
    revenue = serializers.DecimalField(**MONEY, help_text="gross invoiced, last 90 days")
    days = serializers.IntegerField(allow_null=True, help_text="days sales outstanding")


class CockpitSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    cash = serializers.DecimalField(**MONEY)
    receivables = serializers.DecimalField(**MONEY)
    ageing = serializers.SerializerMethodField()
    overdue_share = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    dso = serializers.IntegerField(allow_null=True)
    clients = ClientDaysSerializer(many=True)
    wages_payable = serializers.DecimalField(source="payables.wages", **MONEY)
    wage_tax_payable = serializers.DecimalField(source="payables.wage_tax", **MONEY)
    social_security_payable = serializers.DecimalField(source="payables.social_security", **MONEY)
    fund = serializers.DecimalField(**MONEY)
    exposure = serializers.DecimalField(**MONEY)
    coverage = serializers.DecimalField(**MONEY, allow_null=True)
    budgets = serializers.DecimalField(**MONEY)
    pending = serializers.DecimalField(**MONEY)

    @extend_schema_field(AgeingSerializer(many=True))
    def get_ageing(self, data) -> list[dict]:
        return [{"bucket": b, "amount": f"{amount:.2f}"} for b, amount in data.ageing]


class CockpitApi(APIView):
    """The cooperative's key figures today (staff, accountants)."""

    role_policy = frozenset({STAFF, ACCOUNTANT})

    @extend_schema(responses=CockpitSerializer, operation_id="cockpit_retrieve")
    def get(self, request):
        data = cockpit.cockpit(cooperative=request.tenancy.cooperative, as_of=timezone.localdate())
        return Response(CockpitSerializer(data).data)
