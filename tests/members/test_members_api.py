"""API: own profile and documents, staff's application queue and decisions; cross-tenant."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from members import services
from members.models import Member
from tenancy.models import User
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%%EOF\n"


def _applicant(cooperative) -> Member:
    user = User.objects.create_user(f"app{User.objects.count()}@example.org", "pw")
    return services.member_create(cooperative=cooperative, user=user, first_name="A", last_name="P")


def test_own_profile(login, alice):
    body = login(alice).get("/api/v1/members/me/").json()
    assert body["last_name"] == "Adler" and body["status"] == "active"
    assert body["share_reference"].startswith("RF")


def test_upload_and_list_documents(login, alice):
    client = login(alice)
    response = client.post(
        "/api/v1/members/me/documents/",
        {"kind": "permit", "file": SimpleUploadedFile("permit.pdf", PDF)},
    )
    assert response.status_code == 201, response.content
    assert client.get("/api/v1/members/me/documents/").json()[0]["original_name"] == "permit.pdf"
    bad = client.post(
        "/api/v1/members/me/documents/",
        {"kind": "permit", "file": SimpleUploadedFile("permit.pdf", b"GIF89a")},
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "file_type"


def test_staff_queue_and_decisions(login, sabine, coop_a, coop_b):
    mine, theirs = _applicant(coop_a), _applicant(coop_b)
    client = login(sabine)
    queue = client.get("/api/v1/applications/").json()["results"]
    assert [a["id"] for a in queue] == [mine.pk]
    assert "eligibility" in queue[0]
    url = f"/api/v1/applications/{mine.pk}/decision/"
    refused = client.post(url, {"decision": "reject"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "reason_required"
    ok = client.post(url, {"decision": "approve"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = client.post(url, {"decision": "approve"}, content_type="application/json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "transition_not_allowed"
    foreign = client.post(
        f"/api/v1/applications/{theirs.pk}/decision/",
        {"decision": "approve"},
        content_type="application/json",
    )
    assert foreign.status_code == 404
    with tenant_scope(coop_b):
        assert Member.objects.get(pk=theirs.pk).status == "applicant"


def test_members_and_accountants_cannot_decide(login, alice, bob, coop_a):
    applicant = _applicant(coop_a)
    for persona in (alice, bob):
        client = login(persona)
        assert client.get("/api/v1/applications/").status_code == 403
        response = client.post(
            f"/api/v1/applications/{applicant.pk}/decision/",
            {"decision": "approve"},
            content_type="application/json",
        )
        assert response.status_code == 403
