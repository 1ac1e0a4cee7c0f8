"""Invoice API: members draft, submit, download and resend their invoices; staff issue,
return, cancel and credit; accountants read. Another cooperative's invoice is a 404."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.downloads import binary_responses
from core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from core.policies import ACCOUNTANT, MEMBER, STAFF
from invoicing import access, delivery, documents, invoice_services, selectors
from invoicing.invoice_services import LineValues
from invoicing.models import Client, Invoice, InvoiceDelivery, InvoiceDocument, InvoiceLine, Job
from members import access as member_access


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "position",
            "description",
            "detail",
            "quantity",
            "unit",
            "unit_price",
            "vat_category",
            "vat_rate",
            "net_amount",
        ]
        read_only_fields = ["position", "net_amount"]
        extra_kwargs = {
            "detail": {"required": False},
            "unit": {"required": True},
            "vat_category": {"required": True},
            "vat_rate": {"required": True},
        }


class InvoiceDeliverySerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = InvoiceDelivery
        fields = ["id", "to", "status", "created_at", "attempts", "failed_reason"]


class InvoiceSerializer(serializers.ModelSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    type_code = serializers.CharField(read_only=True)
    corrects_number = serializers.CharField(source="corrects.number_text", default="")
    client_name = serializers.CharField(source="client.name")
    member_name = serializers.CharField(source="member.full_name")
    is_cancelled = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "kind",
            "type_code",
            "status",
            "number_text",
            "client",
            "client_name",
            "member",
            "member_name",
            "job",
            "corrects",
            "corrects_number",
            "is_cancelled",
            "reason",
            "supply_date",
            "period_start",
            "period_end",
            "payment_terms_days",
            "buyer_reference",
            "vat_note",
            "note",
            "currency",
            "issue_date",
            "due_date",
            "net_total",
            "vat_total",
            "gross_total",
            "vat_breakdown",
            "small_amount",
            "rf_reference",
            "returned_reason",
            "submitted_at",
            "issued_at",
            "auto_issued",
            "lines",
        ]
        read_only_fields = fields


class InvoiceDetailSerializer(InvoiceSerializer):
    deliveries = InvoiceDeliverySerializer(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "deliveries", "hash", "previous_hash"]
        read_only_fields = fields


class InvoiceWriteSerializer(serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client._base_manager.none())
    job = serializers.PrimaryKeyRelatedField(
        queryset=Job._base_manager.none(), required=False, allow_null=True
    )
    supply_date = serializers.DateField(required=False, allow_null=True)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=120, required=False)
    buyer_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    vat_note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    lines = InvoiceLineSerializer(many=True)

    def __init__(self, *args, clients=None, jobs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clients is not None:
            self.fields["client"].queryset = clients
        if jobs is not None:
            self.fields["job"].queryset = jobs

    def values_and_lines(self) -> tuple[dict, list[LineValues]]:
        data = dict(self.validated_data)
        lines = [
            LineValues(
                description=line["description"],
                detail=line.get("detail", ""),
                quantity=line["quantity"],
                unit=line["unit"],
                unit_price=line["unit_price"],
                vat_category=line["vat_category"],
                vat_rate=line["vat_rate"],
            )
            for line in data.pop("lines")
        ]
        data.setdefault("payment_terms_days", data["client"].payment_terms_days)
        return data, lines


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CreditNoteSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    lines = InvoiceLineSerializer(many=True)


class ResendSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=254, required=False, allow_blank=True)


class FromJobSerializer(serializers.Serializer):
    job = serializers.PrimaryKeyRelatedField(queryset=Job._base_manager.none())

    def __init__(self, *args, jobs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if jobs is not None:
            self.fields["job"].queryset = jobs


def _write_serializer(request, data):
    return InvoiceWriteSerializer(
        data=data,
        clients=access.client_queryset(tenancy=request.tenancy, user=request.user),
        jobs=access.job_queryset(tenancy=request.tenancy, user=request.user).filter(
            member__user=request.user
        ),
    )


def _detail(request, invoice: Invoice) -> dict:
    fresh = (
        access.invoice_queryset(tenancy=request.tenancy, user=request.user)
        .prefetch_related("lines", "deliveries__email")
        .get(pk=invoice.pk)
    )
    return InvoiceDetailSerializer(fresh).data


LIST_COMPUTED = {
    "type_code",
    "client_name",
    "member_name",
    "corrects_number",
    "is_cancelled",
    "lines",
}


class InvoiceListApi(generics.ListAPIView):
    """Invoices, newest first; filter by status, kind, client, member, year. POST: a draft."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})
    write_role_policy = frozenset({MEMBER})
    serializer_class = InvoiceSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invoice._base_manager.none()
        visible = access.invoice_queryset(tenancy=self.request.tenancy, user=self.request.user)
        # The list reads only what it shows: the seller and buyer snapshots, fingerprints and
        # the related rows' other columns stay in the database (P5).
        shown = [f for f in InvoiceSerializer.Meta.fields if f not in LIST_COMPUTED]
        return (
            selectors.invoice_list(invoices=visible, filters=self.request.query_params)
            .select_related(None)
            .select_related("client", "member", "corrects")
            .only(
                *shown,
                "cooperative_id",
                "client__name",
                "member__first_name",
                "member__last_name",
                "corrects__number_text",
            )
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=InvoiceLine.objects.only(
                        "invoice_id", *InvoiceLineSerializer.Meta.fields
                    ),
                )
            )
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR, required=False) for name in selectors.FILTERS
        ],
        operation_id="invoices_list",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InvoiceWriteSerializer,
        responses={201: InvoiceDetailSerializer},
        operation_id="invoices_create",
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        member = member_access.own_member(user=request.user)
        serializer = _write_serializer(request, request.data)
        serializer.is_valid(raise_exception=True)
        values, lines = serializer.values_and_lines()
        invoice = invoice_services.invoice_save_draft(
            invoice=None, member=member, values=values, lines=lines
        )
        return Response(_detail(request, invoice), status=status.HTTP_201_CREATED)


class InvoiceFromJobApi(APIView):
    """A draft for one of the caller's jobs: its price, period and VAT category."""

    role_policy = frozenset({MEMBER})

    @extend_schema(
        request=FromJobSerializer,
        responses={201: InvoiceDetailSerializer},
        operation_id="invoices_from_job",
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        member = member_access.own_member(user=request.user)
        jobs = access.job_queryset(tenancy=request.tenancy, user=request.user).filter(member=member)
        serializer = FromJobSerializer(data=request.data, jobs=jobs)
        serializer.is_valid(raise_exception=True)
        invoice = invoice_services.invoice_draft_from_job(
            job=serializer.validated_data["job"], member=member
        )
        return Response(_detail(request, invoice), status=status.HTTP_201_CREATED)


class InvoiceDetailApi(APIView):
    """One invoice with lines and e-mails; PUT changes and DELETE removes one's own draft."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})
    write_role_policy = frozenset({MEMBER})

    @extend_schema(responses=InvoiceDetailSerializer, operation_id="invoices_retrieve")
    def get(self, request, pk: int):
        invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
        return Response(_detail(request, invoice))

    @extend_schema(
        request=InvoiceWriteSerializer,
        responses=InvoiceDetailSerializer,
        operation_id="invoices_update",
    )
    def put(self, request, pk: int):
        invoice = access.invoice_get_own_draft(tenancy=request.tenancy, user=request.user, pk=pk)
        serializer = _write_serializer(request, request.data)
        serializer.is_valid(raise_exception=True)
        values, lines = serializer.values_and_lines()
        invoice = invoice_services.invoice_save_draft(
            invoice=invoice, member=invoice.member, values=values, lines=lines
        )
        return Response(_detail(request, invoice))

    @extend_schema(responses={204: None}, operation_id="invoices_destroy")
    def delete(self, request, pk: int):
        invoice = access.invoice_get_own_draft(tenancy=request.tenancy, user=request.user, pk=pk)
        invoice_services.invoice_delete_draft(invoice=invoice)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvoiceSubmitApi(APIView):
    """Hand in a draft; issued at once when the cooperative's auto-approval rules hold."""

    role_policy = frozenset({MEMBER})

    @extend_schema(request=None, responses=InvoiceDetailSerializer, operation_id="invoices_submit")
    def post(self, request, pk: int):
        invoice = access.invoice_get_own_draft(tenancy=request.tenancy, user=request.user, pk=pk)
        invoice = invoice_services.invoice_submit(invoice=invoice, actor=request.user)
        return Response(_detail(request, invoice))


class InvoiceIssueApi(APIView):
    """Staff approve a submitted invoice: it gets its number and goes to the client."""

    role_policy = frozenset({STAFF})

    @extend_schema(request=None, responses=InvoiceDetailSerializer, operation_id="invoices_issue")
    def post(self, request, pk: int):
        invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
        invoice = invoice_services.invoice_issue(invoice=invoice, actor=request.user)
        return Response(_detail(request, invoice))


class InvoiceReturnApi(APIView):
    """Staff send a submitted invoice back to the member as a draft, with the reason."""

    role_policy = frozenset({STAFF})

    @extend_schema(
        request=ReasonSerializer, responses=InvoiceDetailSerializer, operation_id="invoices_return"
    )
    def post(self, request, pk: int):
        invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invoice = invoice_services.invoice_return(
            invoice=invoice, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(_detail(request, invoice))


class InvoiceCancelApi(APIView):
    """Staff cancel an issued invoice: a cancellation invoice (Storno) is issued."""

    role_policy = frozenset({STAFF})

    @extend_schema(
        request=ReasonSerializer,
        responses={201: InvoiceDetailSerializer},
        operation_id="invoices_cancel",
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cancellation = invoice_services.invoice_cancel(
            invoice=invoice, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(_detail(request, cancellation), status=status.HTTP_201_CREATED)


class InvoiceCreditNoteApi(APIView):
    """Staff credit part of an issued invoice (type 381 referring to it)."""

    role_policy = frozenset({STAFF})

    @extend_schema(
        request=CreditNoteSerializer,
        responses={201: InvoiceDetailSerializer},
        operation_id="invoices_credit_note",
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request, pk: int):
        invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
        serializer = CreditNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lines = [
            LineValues(
                description=line["description"],
                detail=line.get("detail", ""),
                quantity=line["quantity"],
                unit=line["unit"],
                unit_price=line["unit_price"],
                vat_category=line["vat_category"],
                vat_rate=line["vat_rate"],
            )
            for line in serializer.validated_data["lines"]
        ]
        credit = invoice_services.invoice_credit_note(
            invoice=invoice,
            actor=request.user,
            reason=serializer.validated_data["reason"],
            lines=lines,
        )
        return Response(_detail(request, credit), status=status.HTTP_201_CREATED)


class InvoiceResendApi(APIView):
    """E-mail an issued invoice again, to the client's invoice address or another one."""

    role_policy = frozenset({MEMBER, STAFF})

    @extend_schema(
        request=ResendSerializer,
        responses={202: InvoiceDeliverySerializer},
        operation_id="invoices_resend",
    )
    def post(self, request, pk: int):
        invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
        serializer = ResendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        queued = delivery.delivery_resend(
            invoice=invoice, actor=request.user, to=serializer.validated_data.get("to", "")
        )
        return Response(InvoiceDeliverySerializer(queued).data, status=status.HTTP_202_ACCEPTED)


class InvoiceDownloadApi(APIView):
    """The stored document: pdf, zugferd (PDF/A-3 with XML), xrechnung-cii or xrechnung-ubl."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})

    @extend_schema(
        responses=binary_responses(*sorted(set(documents.CONTENT_TYPES.values()))),
        operation_id="invoices_download",
    )
    def get(self, request, pk: int, fmt: str):
        invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
        return document_response(invoice, fmt)


def document_response(invoice: Invoice, fmt: str) -> HttpResponse:
    from django.http import Http404

    if fmt not in InvoiceDocument.Format.values or not invoice.is_issued:
        raise Http404
    document = documents.invoice_document(invoice=invoice, fmt=fmt)
    response = HttpResponse(bytes(document.content), content_type=documents.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{documents.filename(invoice, fmt)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
