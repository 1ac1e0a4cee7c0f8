"""Who sees which member data, also for people with several roles in one cooperative."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from members import services
from members.models import EmploymentData, Member, MemberDocument
from members.tasks import applications_anonymise_rejected
from tenancy.models import User
from tenancy.scope import tenant_scope
from tests.conftest import make_person

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%%EOF\n"


def _applicant(cooperative, email="applicant@example.org") -> Member:
    user = User.objects.create_user(email, "pw")
    return services.member_create(
        cooperative=cooperative,
        user=user,
        first_name="Ada",
        last_name="Applicant",
        street="Geheimweg 5",
    )


def test_accountants_see_the_register_but_not_applicants(login, bob, alice, coop_a):
    applicant = _applicant(coop_a)
    client = login(bob)
    ids = [m["id"] for m in client.get("/api/v1/members/").json()["results"]]
    assert alice.member.pk in ids and applicant.pk not in ids
    assert client.get(f"/members/{applicant.pk}/").status_code == 404
    assert client.get(f"/api/v1/members/{applicant.pk}/").status_code == 404


def test_an_accountant_who_is_also_a_member_sees_only_their_own_declaration(login, bob, alice):
    make_person(alice.cooperative, bob.email, "member", full_name="Bob Berger")
    with tenant_scope(alice.cooperative):
        Member.objects.filter(pk=alice.member.pk).update(declaration_text="I join.")
    client = login(bob)
    assert client.get(f"/members/{alice.member.pk}/declaration.pdf").status_code == 404


def test_staff_who_are_members_cannot_delete_other_members_documents(login, sabine, alice):
    login(alice).post("/documents/", {"kind": "id", "file": SimpleUploadedFile("id.pdf", PDF)})
    with tenant_scope(alice.cooperative):
        document = MemberDocument.objects.get()
    make_person(alice.cooperative, sabine.email, "member", full_name="Sabine Stahl")
    client = login(sabine)
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 404
    with tenant_scope(alice.cooperative):
        assert MemberDocument.objects.filter(pk=document.pk).exists()


def test_anonymisation_erases_the_audit_copies_and_the_role(login, coop_a, sabine):
    member = _applicant(coop_a, "gone@example.org")
    with tenant_scope(coop_a):
        services.employment_data_update(
            member=member, values={"iban": "DE89370400440532013000"}, actor=member.user
        )
        services.application_reject(member=member, actor=sabine.user, reason="too little volume")
        Member.objects.filter(pk=member.pk).update(decided_at=timezone.now() - timedelta(days=200))
    assert applications_anonymise_rejected.apply(args=[coop_a.pk]).get() == 1
    with tenant_scope(coop_a):
        if connection.vendor == "postgresql":
            assert not Member.pgh_event_model.objects.filter(pgh_obj_id=member.pk).exists()
            assert not EmploymentData.pgh_event_model.objects.filter(member_id=member.pk).exists()
        assert member.status_changes.get().reason == ""
    client = login(type("P", (), {"user": member.user})())
    assert client.get("/profile/").status_code in (403, 404)
