"""Employment data (validated, private, confirmed by staff after activation, versioned) and
documents (checked by content, private, attachments only)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from members.models import EmploymentData, EmploymentDataChange, MemberDocument
from tenancy.scope import tenant_scope
from tests.conftest import make_person

pytestmark = pytest.mark.django_db

VALID = {
    "tax_id": "36574261809",
    "social_insurance_number": "65 170839 J 00 3",
    "health_insurer": "AOK Nordost",
    "health_insurer_additional_rate": "2.90",
    "tax_class": "1",
    "child_allowances": "0",
    "number_of_children": "0",
    "childless": "on",
    "iban": "DE89 3704 0044 0532 0130 00",
    "account_holder": "Alice Adler",
}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _employment(persona) -> EmploymentData:
    with tenant_scope(persona.cooperative):
        return EmploymentData.objects.get(member=persona.member)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("tax_id", "36574261808", "tax identification number"),
        ("social_insurance_number", "65170839J004", "check digit"),
        ("iban", "DE89370400440532013001", "IBAN"),
    ],
)
def test_invalid_identifiers_are_refused_and_nothing_is_saved(login, alice, field, value, message):
    client = login(alice)
    response = client.post("/profile/", {**VALID, field: value})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    employment = _employment(alice)
    assert (employment.tax_id, employment.social_insurance_number, employment.iban) == ("", "", "")
    with tenant_scope(alice.cooperative):
        assert EmploymentDataChange.objects.count() == 0


def test_after_activation_changes_wait_for_staff(login, alice, sabine, mailoutbox):
    client = login(alice)
    response = client.post("/profile/", VALID)
    assert response.status_code == 302
    assert _employment(alice).tax_id == ""  # Alice is active: not applied yet
    with tenant_scope(alice.cooperative):
        change = EmploymentDataChange.objects.get()
    assert change.changes["social_insurance_number"] == "65170839J003"
    assert any(sabine.email in m.to for m in mailoutbox)

    staff = client.__class__()
    staff.force_login(sabine.user)
    staff.post(
        "/admin/members/employmentdatachange/",
        {"action": "confirm", "_selected_action": [change.pk]},
    )
    employment = _employment(alice)
    assert employment.tax_id == "36574261809" and employment.iban == "DE89370400440532013000"
    if connection.vendor == "postgresql":  # versioned by the audit trail
        from members.models import EmploymentData as Model

        with tenant_scope(alice.cooperative):
            events = Model.pgh_event_model.objects.filter(pgh_obj=employment).count()
        assert events >= 2


def test_applicants_change_their_data_directly(client, coop_a):
    from members import services
    from tenancy.models import User

    user = User.objects.create_user("newbie@example.org", "pw")
    member = services.member_create(cooperative=coop_a, user=user, first_name="N", last_name="B")
    client.force_login(user)
    assert client.post("/profile/", VALID).status_code == 302
    with tenant_scope(coop_a):
        assert EmploymentData.objects.get(member=member).tax_id == "36574261809"


def test_accountants_and_other_cooperatives_never_see_employment_data(login, bob, alice, carol):
    assert login(bob).get("/profile/").status_code == 403  # Bob is no member
    # Staff of another cooperative: the admin page of Alice's data is missing for them.
    employment = _employment(alice)
    dirk = make_person(carol.cooperative, "dirk@example.org", "staff", full_name="Dirk Dahl")
    client = login(dirk)
    assert client.get(f"/admin/members/employmentdata/{employment.pk}/change/").status_code == 404


def test_sensitive_values_do_not_appear_in_logs(login, alice, caplog):
    caplog.set_level("DEBUG")
    login(alice).post("/profile/", {**VALID, "iban": "DE89370400440532013001"})
    assert "DE89370400440532013001" not in caplog.text
    assert "36574261809" not in caplog.text


def _upload(client, name: str, content: bytes, kind: str = "id"):
    return client.post("/documents/", {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_a_member_uploads_and_downloads_a_document(login, alice, sabine):
    client = login(alice)
    assert _upload(client, "passport.pdf", PDF).status_code == 302
    with tenant_scope(alice.cooperative):
        document = MemberDocument.objects.get()
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    response = client.get(f"/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    staff = client.__class__()
    staff.force_login(sabine.user)
    assert staff.get(f"/documents/{document.pk}/download/").status_code == 200


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("big.pdf", b"%PDF-" + b"x" * (10 * 1024 * 1024), "larger than"),
        ("photo.pdf", PNG, "does not match"),  # a PNG calling itself a PDF
        ("script.png", b"<script>alert(1)</script>", "Only PDF, PNG and JPEG"),
        ("evil.pdf", PDF + b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", "scripts"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(login, alice, name, content, message):
    response = _upload(login(alice), name, content)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors)
    with tenant_scope(alice.cooperative):
        assert MemberDocument.objects.count() == 0


def test_documents_are_private(login, alice, bob, carol, dirk):
    _upload(login(alice), "passport.pdf", PDF)
    with tenant_scope(alice.cooperative):
        document = MemberDocument.objects.get()
    url = f"/documents/{document.pk}/download/"
    assert login(bob).get(url).status_code == 403  # accountant: no personal documents
    assert login(carol).get(url).status_code == 404  # member of another cooperative
    assert login(dirk).get(url).status_code == 404  # staff of another cooperative
    other = make_person(alice.cooperative, "zoe@example.org", "member", full_name="Zoe Zimmer")
    assert login(other).get(url).status_code == 404  # another member of the same cooperative
