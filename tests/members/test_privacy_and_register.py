"""Personal-data export, anonymisation of old rejections, permit warnings, member register."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from members import services
from members.models import EmploymentData, Member
from members.tasks import applications_anonymise_rejected, permits_warn_expiring
from tenancy.models import User
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db


def test_a_member_downloads_all_personal_data(login, alice):
    client = login(alice)
    response = client.get("/my-data.json")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["member"]["last_name"] == "Adler" and data["account"]["email"] == alice.email
    assert "employment" in data and "status_changes" in data
    pdf = client.get("/my-data.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert client.get("/my-data.csv").status_code == 404


def test_rejected_applications_are_anonymised_after_the_retention_period(coop_a, sabine):
    user = User.objects.create_user("old@example.org", "pw")
    member = services.member_create(
        cooperative=coop_a,
        user=user,
        first_name="Olga",
        last_name="Old",
        street="Altweg 1",
        date_of_birth=date(1980, 1, 1),
    )
    with tenant_scope(coop_a):
        services.application_reject(member=member, actor=sabine.user, reason="volume too low")
        Member.objects.filter(pk=member.pk).update(decided_at=timezone.now() - timedelta(days=181))
    assert applications_anonymise_rejected.apply(args=[coop_a.pk]).get() == 1
    assert applications_anonymise_rejected.apply(args=[coop_a.pk]).get() == 0  # idempotent
    with tenant_scope(coop_a):
        member.refresh_from_db()
        assert (member.last_name, member.street, member.date_of_birth) == ("—", "", None)
        assert (
            member.status == "rejected" and member.declaration_sha256 == member.declaration_sha256
        )
        assert not EmploymentData.objects.filter(member=member).exists()


def test_recent_rejections_are_kept(coop_a, sabine):
    user = User.objects.create_user("recent@example.org", "pw")
    member = services.member_create(
        cooperative=coop_a, user=user, first_name="R", last_name="Ecent"
    )
    with tenant_scope(coop_a):
        services.application_reject(member=member, actor=sabine.user, reason="x")
    assert applications_anonymise_rejected.apply(args=[coop_a.pk]).get() == 0


def test_permit_warnings_go_out_once_per_expiry_date(alice, sabine, mailoutbox):
    with tenant_scope(alice.cooperative):
        Member.objects.filter(pk=alice.member.pk).update(
            permit_expires_on=timezone.localdate() + timedelta(days=30)
        )
    assert permits_warn_expiring.apply(args=[alice.cooperative.pk]).get() == 1
    recipients = {address for m in mailoutbox for address in m.to}
    assert {alice.email, sabine.email} <= recipients
    assert permits_warn_expiring.apply(args=[alice.cooperative.pk]).get() == 0
    with tenant_scope(alice.cooperative):  # a renewed permit expiring soon warns again
        Member.objects.filter(pk=alice.member.pk).update(
            permit_expires_on=timezone.localdate() + timedelta(days=40)
        )
    assert permits_warn_expiring.apply(args=[alice.cooperative.pk]).get() == 1


def test_the_member_register_exports(login, sabine, bob, alice, carol):
    with tenant_scope(alice.cooperative):
        Member.objects.filter(pk=alice.member.pk).update(street='=HYPERLINK("http://x")')
    for persona in (sabine, bob):
        client = login(persona)
        csv = client.get("/member-register.csv")
        assert csv.status_code == 200
        text = csv.content.decode("utf-8-sig")
        assert "Adler" in text and "Clausen" not in text
        assert "'=HYPERLINK" in text  # no formula injection (R21)
        pdf = client.get("/member-register.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert login(alice).get("/member-register.csv").status_code == 403


def test_pdf_rendering_cannot_fetch_anything(alice):
    """R22: text with links to local files or hosts is rendered, nothing is fetched."""
    from core import pdf

    fetched = []
    original = pdf._safe_fetcher

    def spy(*args):
        fetcher = original(*args)
        fetched.append(fetcher)
        return fetcher

    pdf._safe_fetcher = spy
    try:
        content = pdf.render_pdf(
            "pdf/personal_data.html",
            {
                "cooperative": alice.cooperative,
                "sections": [
                    ("x", [("<img src='http://127.0.0.1:9/x.png'>", "file:///etc/passwd")])
                ],
            },
        )
    finally:
        pdf._safe_fetcher = original
    assert content.startswith(b"%PDF-")
    urls = fetched[0].fetched  # the stylesheets are parsed once per process, not per document
    assert all(u.startswith(pdf.STATIC_PREFIX) for u in urls)
    assert not [u for u in urls if "127.0.0.1" in u or u.startswith("file:")]
