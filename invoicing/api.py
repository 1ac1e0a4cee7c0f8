from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.policies import MEMBER, STAFF
from invoicing import access, services
from invoicing.models import Client, Job
from members import access as member_access


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", *services.CLIENT_FIELDS, "vat_id_checked_at", "vat_id_check_result"]
        read_only_fields = ["vat_id_checked_at", "vat_id_check_result"]


class JobSerializer(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client._base_manager.none())
    risk_flags = serializers.ListField(child=serializers.CharField(), read_only=True)
    planned_net = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            *services.JOB_FIELDS,
            "status",
            "risk_flags",
            "planned_net",
            "client_answered_at",
        ]
        read_only_fields = ["status", "client_answered_at"]

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clients is not None:
            self.fields["client"].queryset = clients


class ClientListApi(APIView):
    """Clients the caller works with (staff: all of the cooperative's); POST creates one."""

    role_policy = frozenset({MEMBER, STAFF})

    @extend_schema(responses=ClientSerializer(many=True), operation_id="clients_list")
    def get(self, request):
        clients = access.client_queryset(tenancy=request.tenancy, user=request.user)
        return Response(ClientSerializer(clients, many=True).data)

    @extend_schema(
        request=ClientSerializer, responses={201: ClientSerializer}, operation_id="clients_create"
    )
    def post(self, request):
        serializer = ClientSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = (
            None if request.tenancy.has_any(STAFF) else member_access.own_member(user=request.user)
        )
        client = services.client_save(client=None, values=serializer.validated_data, member=member)
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)


class JobListApi(APIView):
    """The caller's jobs (staff: all); POST creates a draft."""

    role_policy = frozenset({MEMBER, STAFF})

    @extend_schema(responses=JobSerializer(many=True), operation_id="jobs_list")
    def get(self, request):
        jobs = access.job_queryset(tenancy=request.tenancy, user=request.user)
        return Response(JobSerializer(jobs, many=True).data)

    @extend_schema(
        request=JobSerializer, responses={201: JobSerializer}, operation_id="jobs_create"
    )
    def post(self, request):
        member = member_access.own_member(user=request.user)
        clients = access.client_queryset(tenancy=request.tenancy, user=request.user)
        serializer = JobSerializer(data=request.data, clients=clients)
        serializer.is_valid(raise_exception=True)
        job = services.job_save(job=None, member=member, values=serializer.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)


class JobDetailApi(generics.RetrieveAPIView):
    role_policy = frozenset({MEMBER, STAFF})
    serializer_class = JobSerializer

    def get_object(self):
        return access.job_get_for(
            tenancy=self.request.tenancy, user=self.request.user, pk=self.kwargs["pk"]
        )
