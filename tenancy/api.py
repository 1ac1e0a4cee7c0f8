from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.policies import ACCOUNTANT, AUTHENTICATED, MEMBER, STAFF
from tenancy import services


class MeMembershipSerializer(serializers.Serializer):
    cooperative = serializers.SlugField()
    cooperative_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()


class MeApi(APIView):
    """The person behind the request and the cooperatives and roles they hold."""

    role_policy = frozenset({AUTHENTICATED})

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Me"

        id = serializers.IntegerField()
        email = serializers.EmailField()
        full_name = serializers.CharField()
        language = serializers.CharField()
        active_cooperative = serializers.SlugField(allow_null=True)
        active_roles = serializers.ListField(child=serializers.CharField())
        roles_awaiting_mfa = serializers.ListField(child=serializers.CharField())
        memberships = MeMembershipSerializer(many=True)

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MeUpdate"

        full_name = serializers.CharField(max_length=200, required=False)
        language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)

    @extend_schema(responses=OutputSerializer, operation_id="me_retrieve")
    def get(self, request):
        return Response(self._output(request))

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, operation_id="me_partial_update"
    )
    def patch(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(self._output(request))

    def _output(self, request) -> dict:
        user = request.user
        tenancy = request.tenancy
        cooperatives, roles = tenancy.cooperatives, tenancy.roles_by_cooperative
        active = tenancy.cooperative
        data = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "language": user.language,
            "active_cooperative": active.slug if active else None,
            "active_roles": sorted(tenancy.roles),
            "roles_awaiting_mfa": sorted(tenancy.roles_awaiting_mfa),
            "memberships": [
                {
                    "cooperative": c.slug,
                    "cooperative_name": c.legal_name,
                    "roles": sorted(roles.get(c.pk, set())),
                    "active": active is not None and c.pk == active.pk,
                }
                for c in cooperatives
            ],
        }
        return self.OutputSerializer(data).data


class CooperativeApi(APIView):
    """The active cooperative's master data."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Cooperative"

        slug = serializers.SlugField()
        legal_name = serializers.CharField()
        street = serializers.CharField()
        postal_code = serializers.CharField()
        city = serializers.CharField()
        country = serializers.CharField()
        vat_id = serializers.CharField()
        tax_number = serializers.CharField()
        register_court = serializers.CharField()
        register_number = serializers.CharField()
        iban = serializers.CharField()
        bic = serializers.CharField()
        colour = serializers.CharField()
        default_language = serializers.CharField()
        time_zone = serializers.CharField()

    @extend_schema(responses=OutputSerializer, operation_id="cooperative_retrieve")
    def get(self, request):
        return Response(self.OutputSerializer(request.tenancy.cooperative).data)
