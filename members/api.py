from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.policies import ACCOUNTANT, MEMBER, STAFF
from members import access, services
from members.models import Member, MemberDocument


class MemberOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = [
            "id",
            "member_number",
            "first_name",
            "last_name",
            "status",
            "shares",
            "joined_on",
            "left_on",
        ]


class OwnMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        ref_name = "OwnMember"
        fields = [
            "id",
            "member_number",
            "status",
            "first_name",
            "last_name",
            "date_of_birth",
            "street",
            "postal_code",
            "city",
            "country",
            "nationality",
            "phone",
            "languages",
            "permit_type",
            "permit_expires_on",
            "profession",
            "activity_description",
            "expected_monthly_volume",
            "shares",
            "share_price",
            "share_reference",
            "applied_at",
            "joined_on",
            "notice_given_on",
            "left_on",
            "share_repayment_due_on",
            "info_requested",
        ]


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberDocument
        fields = ["id", "kind", "original_name", "content_type", "size", "uploaded_at"]


class ApplicationSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")

    class Meta:
        model = Member
        ref_name = "Application"
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "status",
            "applied_at",
            "profession",
            "expected_monthly_volume",
            "nationality",
            "country",
            "permit_expires_on",
            "eligibility_passed",
            "eligibility",
            "info_requested",
            "shares",
        ]


class MemberListApi(generics.ListAPIView):
    """Members of the active cooperative: staff and accountants see all, a member themselves."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})
    serializer_class = MemberOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Member._base_manager.none()
        return access.member_visible_queryset(tenancy=self.request.tenancy, user=self.request.user)


class MemberDetailApi(generics.RetrieveAPIView):
    """One member; another cooperative's member answers 404 like a missing one."""

    role_policy = frozenset({MEMBER, STAFF, ACCOUNTANT})
    serializer_class = MemberOutputSerializer

    def get_object(self):
        return access.member_get_for(
            tenancy=self.request.tenancy, user=self.request.user, pk=self.kwargs["pk"]
        )


class OwnMemberApi(generics.RetrieveAPIView):
    """The caller's own membership: personal data, status and dates."""

    role_policy = frozenset({MEMBER})
    serializer_class = OwnMemberSerializer

    def get_object(self):
        return access.own_member(user=self.request.user)


class OwnDocumentsApi(APIView):
    """The caller's documents; upload with multipart/form-data (`kind`, `file`)."""

    role_policy = frozenset({MEMBER})
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DocumentUpload"

        kind = serializers.ChoiceField(choices=MemberDocument.Kind.choices)
        file = serializers.FileField()

    @extend_schema(
        responses=DocumentSerializer(many=True), operation_id="members_me_documents_list"
    )
    def get(self, request):
        member = access.own_member(user=request.user)
        return Response(DocumentSerializer(member.documents.all(), many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: DocumentSerializer},
        operation_id="members_me_documents_create",
    )
    def post(self, request):
        member = access.own_member(user=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_upload(
            member=member,
            kind=serializer.validated_data["kind"],
            upload=serializer.validated_data["file"],
            actor=request.user,
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class ApplicationListApi(generics.ListAPIView):
    """Staff's queue: open applications with the automatic eligibility findings."""

    role_policy = frozenset({STAFF})
    serializer_class = ApplicationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Member._base_manager.none()
        return Member.objects.filter(status=Member.Status.APPLICANT).select_related("user")


class ApplicationDecisionApi(APIView):
    """Approve, reject (reason required) or ask for more information (message required)."""

    role_policy = frozenset({STAFF})

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApplicationDecision"

        decision = serializers.ChoiceField(choices=["approve", "reject", "request_info"])
        reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(
        request=InputSerializer, responses=ApplicationSerializer, operation_id="applications_decide"
    )
    def post(self, request, pk: int):
        member = access.application_get_for_staff(tenancy=request.tenancy, pk=pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = serializer.validated_data["decision"]
        reason = serializer.validated_data.get("reason", "")
        if decision == "approve":
            services.application_approve(member=member, actor=request.user, reason=reason)
        elif decision == "reject":
            services.application_reject(member=member, actor=request.user, reason=reason)
        else:
            services.application_request_info(member=member, actor=request.user, message=reason)
        return Response(ApplicationSerializer(member).data)
