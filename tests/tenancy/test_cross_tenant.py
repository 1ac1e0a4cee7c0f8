"""R2: another cooperative's object answers exactly like a missing one, in pages, admin and API.

Every route with an object id is listed in DETAIL_ROUTES; test_every_detail_route_is_covered
fails when a new route with an id appears without a cross-tenant case here.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# route name → how to build its URL for a Member / Membership id
DETAIL_ROUTES = {
    "portal:member_detail": lambda p: f"/members/{p.member.pk}/",
    "api:member-detail": lambda p: f"/api/v1/members/{p.member.pk}/",
    "admin:members_member_change": lambda p: f"/admin/members/member/{p.member.pk}/change/",
    "admin:members_member_history": lambda p: f"/admin/members/member/{p.member.pk}/history/",
    "admin:members_member_delete": lambda p: f"/admin/members/member/{p.member.pk}/delete/",
    "portal:member_budget": lambda p: f"/members/{p.member.pk}/budget/",
    "api:member-budget": lambda p: f"/api/v1/members/{p.member.pk}/budget/",
    "portal:api_token_revoke": None,  # tokens are personal: tests/core/test_api.py
    # Covered where the objects are made: tests/members/test_application.py (declaration),
    # tests/members/test_employment_and_documents.py (documents: other member, other
    # cooperative, accountant), tests/members/test_members_api.py (decisions).
    "portal:declaration_pdf": None,
    "portal:document_download": None,
    "portal:document_delete": None,
    "api:application-decision": None,
    # tests/invoicing/test_clients_and_jobs.py: other member, other cooperative, staff.
    "portal:client_edit": None,
    "portal:job_detail": None,
    "portal:job_edit": None,
    "portal:job_send": None,
    "api:job-detail": None,
    # tests/invoicing/test_invoice_pages_and_api.py: every invoice route, from the other
    # cooperative (member and staff) and from another member of the same cooperative.
    "portal:invoice_from_job": None,
    "portal:invoice_detail": None,
    "portal:invoice_edit": None,
    "portal:invoice_submit": None,
    "portal:invoice_delete": None,
    "portal:invoice_issue": None,
    "portal:invoice_return": None,
    "portal:invoice_cancel": None,
    "portal:invoice_credit_note": None,
    "portal:invoice_resend": None,
    "portal:invoice_download": None,
    "api:invoice-detail": None,
    "api:invoice-submit": None,
    "api:invoice-issue": None,
    "api:invoice-return": None,
    "api:invoice-cancel": None,
    "api:invoice-credit-note": None,
    "api:invoice-resend": None,
    "api:invoice-download": None,
    # tests/dunning/test_collection_pages.py: other cooperative and other member.
    "portal:invoice_collection": None,
    "portal:reminder_letter": None,
    "portal:dunning_confirm": None,
    "portal:dunning_pause": None,
    "portal:dunning_resume": None,
    "api:invoice-collection": None,
    # tests/payroll/test_documents.py: payslips, journal and transfer file from the other
    # cooperative (member and accountant), and members kept away from the run's documents.
    "portal:payslip": None,
    "portal:payslip_page": None,
    "portal:payroll_journal": None,
    "portal:payroll_transfer_file": None,
    "api:salary-payslip": None,
    "api:payroll-run-journal": None,
    "api:payroll-run-transfer-file": None,
    # tests/payroll/test_handoff.py: the hand-off page, LODAS file and certified results.
    "portal:payroll_run": None,
    "portal:payroll_lodas": None,
    "api:payroll-run-lodas": None,
    "api:payroll-run-certified": None,
    # tests/reports/test_reports.py: report jobs of the other cooperative, and members.
    "portal:report_job": None,
    "portal:report_download": None,
    "api:report-job-detail": None,
    "api:report-job-download": None,
    # tests/webhooks/test_webhooks.py: another member's and another cooperative's webhooks.
    "portal:webhook": None,
    "portal:webhook_delete": None,
    "portal:webhook_delivery_retry": None,
    "api:webhook-detail": None,
    "api:webhook-deliveries": None,
    # tests/expenses/test_claims.py: another member's or cooperative's receipt.
    "portal:expense_receipt": None,
    "api:expense-receipt": None,
    # Not object routes: a format or a public cooperative slug.
    "portal:personal_data": None,
    "portal:member_register": None,
    "portal:apply": None,
}
# Admin models with object ids, checked with the member's membership row instead.
ADMIN_TENANT_MODELS = [
    "tenancy/membership",
    "tenancy/cooperativesettings",
    "members/member",
    "members/eligibilityrules",
    "members/employmentdata",
]


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from _walk(pattern.url_patterns, prefix + namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and "<" in str(pattern.pattern):
            yield prefix + pattern.name, str(pattern.pattern)


def test_every_detail_route_is_covered():
    ours = {
        name
        for name, route in _walk(get_resolver().url_patterns)
        if name.startswith(("portal:", "api:"))
        or name.startswith(tuple(f"admin:{m.replace('/', '_')}_" for m in ADMIN_TENANT_MODELS))
    }
    ours -= {n for n in ours if n.endswith(("_changelist", "_add"))}
    missing = sorted(
        n
        for n in ours
        if n not in DETAIL_ROUTES
        and not n.startswith(tuple(f"admin:{m.replace('/', '_')}_" for m in ADMIN_TENANT_MODELS))
    )
    assert missing == []


@pytest.mark.parametrize("route", [r for r, build in DETAIL_ROUTES.items() if build])
def test_member_of_a_sees_404_for_b(route, login, alice, carol):
    # Alice (member, Alpha) guesses Carol's (member, Nordlicht) ids.
    client = login(alice)
    foreign = client.get(DETAIL_ROUTES[route](carol), follow=True)
    # Pages and API: 404. Admin: members may not enter at all (403), whatever the id.
    assert foreign.status_code == (403 if route.startswith("admin:") else 404)
    own = client.get(DETAIL_ROUTES[route](alice), follow=True)
    assert own.status_code == (403 if route.startswith("admin:") else 200)


@pytest.mark.parametrize("route", [r for r, build in DETAIL_ROUTES.items() if build])
def test_staff_of_a_sees_404_for_b_like_missing(route, login, sabine, alice, carol):
    client = login(sabine)
    foreign = client.get(DETAIL_ROUTES[route](carol))
    missing_member = type("P", (), {"member": type("M", (), {"pk": 999_999})()})
    missing = client.get(DETAIL_ROUTES[route](missing_member))
    own = client.get(DETAIL_ROUTES[route](alice))
    if route.endswith("_delete"):
        # Staff may not delete register entries at all: refused before any lookup.
        assert foreign.status_code == missing.status_code == own.status_code == 403
        return
    assert foreign.status_code == missing.status_code == 404
    if route.startswith("api:"):
        assert foreign.json() == missing.json()
    assert own.status_code == 200


@pytest.mark.parametrize("model", ADMIN_TENANT_MODELS)
def test_admin_change_pages_of_b_are_404_for_staff_of_a(model, login, sabine, carol, dirk):
    from members.models import EligibilityRules, EmploymentData, Member
    from tenancy.models import CooperativeSettings, Membership
    from tenancy.scope import tenant_scope

    with tenant_scope(carol.cooperative):
        ids = {
            "tenancy/membership": Membership.objects.filter(user=carol.user).first().pk,
            "tenancy/cooperativesettings": CooperativeSettings.objects.get().pk,
            "members/member": Member.objects.get(user=carol.user).pk,
            "members/eligibilityrules": EligibilityRules.objects.get().pk,
            "members/employmentdata": EmploymentData.objects.get(member__user=carol.user).pk,
        }
    client = login(sabine)
    assert client.get(f"/admin/{model}/{ids[model]}/change/").status_code == 404
    # ...and a POST cannot change it either.
    assert client.post(f"/admin/{model}/{ids[model]}/change/", {}).status_code == 404
    client.force_login(dirk.user)
    assert client.get(f"/admin/{model}/{ids[model]}/change/").status_code == 200


def test_admin_lists_show_only_the_own_cooperative(login, sabine, alice, carol):
    response = login(sabine).get("/admin/members/member/")
    assert response.status_code == 200
    assert alice.member.last_name in response.content.decode()
    assert carol.member.last_name not in response.content.decode()


def test_api_list_shows_only_the_own_cooperative(login, sabine, alice, carol):
    response = login(sabine).get("/api/v1/members/")
    assert [m["id"] for m in response.json()["results"]] == [alice.member.pk]


def test_a_member_sees_only_themselves_in_the_list(login, alice, sabine):
    response = login(alice).get("/api/v1/members/")
    assert [m["id"] for m in response.json()["results"]] == [alice.member.pk]


def test_cooperative_switch_to_a_foreign_cooperative_is_404(login, alice, carol):
    response = login(alice).post("/cooperative/switch/", {"cooperative": carol.cooperative.slug})
    assert response.status_code == 404


def test_api_header_for_a_foreign_cooperative_is_404_like_unknown(login, alice, carol):
    client = login(alice)
    foreign = client.get("/api/v1/me/", HTTP_X_COOPERATIVE=carol.cooperative.slug)
    unknown = client.get("/api/v1/me/", HTTP_X_COOPERATIVE="no-such-coop")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert foreign.json()["error"]["code"] == "unknown_cooperative"
