"""Webhooks in the API: a member manages their own, staff the cooperative's."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.policies import MEMBER, STAFF
from webhooks import access, services
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "is_active", "created_at"]


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(help_text="Shown once: keep it to verify the signatures.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class EndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    description = serializers.CharField(max_length=200, required=False, default="")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), allow_empty=False
    )


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]


class EndpointListApi(APIView):
    """The caller's webhooks (staff: the cooperative's); POST registers one."""

    role_policy = frozenset({MEMBER, STAFF})

    @extend_schema(responses=EndpointSerializer(many=True), operation_id="webhooks_list")
    def get(self, request):
        listed = access.endpoints(tenancy=request.tenancy, user=request.user)
        return Response(EndpointSerializer(listed, many=True).data)

    @extend_schema(
        request=EndpointCreateSerializer,
        responses={201: EndpointCreatedSerializer},
        operation_id="webhooks_create",
    )
    def post(self, request):
        owner = access.owner_of(tenancy=request.tenancy, user=request.user)
        data = EndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.endpoint_create(
            cooperative=request.tenancy.cooperative,
            member=owner,
            url=data.validated_data["url"],
            events=data.validated_data["events"],
            description=data.validated_data["description"],
            actor=request.user,
        )
        body = {**EndpointSerializer(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class EndpointApi(APIView):
    role_policy = frozenset({MEMBER, STAFF})

    @extend_schema(responses=EndpointSerializer, operation_id="webhooks_retrieve")
    def get(self, request, pk: int):
        endpoint = access.endpoint_get(tenancy=request.tenancy, user=request.user, pk=pk)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None}, operation_id="webhooks_destroy")
    def delete(self, request, pk: int):
        endpoint = access.endpoint_get(tenancy=request.tenancy, user=request.user, pk=pk)
        services.endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListApi(APIView):
    """The webhook's last hundred deliveries, newest first."""

    role_policy = frozenset({MEMBER, STAFF})

    @extend_schema(responses=DeliverySerializer(many=True), operation_id="webhooks_deliveries")
    def get(self, request, pk: int):
        endpoint = access.endpoint_get(tenancy=request.tenancy, user=request.user, pk=pk)
        return Response(
            DeliverySerializer(access.deliveries(endpoint=endpoint)[:100], many=True).data
        )
