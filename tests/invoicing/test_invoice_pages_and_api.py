"""Invoices through the API, the portal and the admin queue: Alice drafts and submits, Sabine
issues, returns, cancels and credits, Bob (accountant) reads; Carol and Dirk of Nordlicht see
none of it. Query counts stay flat as the list grows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing.models import Invoice
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import draft, issue, line, make_client

pytestmark = pytest.mark.django_db
D = Decimal

LINE = {
    "description": "Logo design",
    "quantity": "10",
    "unit": "HUR",
    "unit_price": "80.00",
    "vat_category": "S",
    "vat_rate": "19.00",
}


def _payload(buyer, **changes):
    return {
        "client": buyer.pk,
        "supply_date": "2026-11-20",
        "lines": [LINE],
        **changes,
    }


def test_member_drafts_submits_and_staff_issue_through_the_api(
    coop_a_ready, login, alice, sabine, bob
):
    client = make_client(alice)
    api = login(alice)
    created = api.post("/api/v1/invoices/", _payload(client), content_type="application/json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["gross_total"] == "952.00"
    assert body["lines"][0]["net_amount"] == "800.00"
    invoice_id = body["id"]
    changed = api.put(
        f"/api/v1/invoices/{invoice_id}/",
        _payload(client, lines=[LINE, {**LINE, "description": "Icons", "quantity": "2"}]),
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["net_total"] == "960.00"
    submitted = api.post(f"/api/v1/invoices/{invoice_id}/submit/")
    assert submitted.json()["status"] == "submitted"
    assert api.post(f"/api/v1/invoices/{invoice_id}/issue/").status_code == 403
    staff = login(sabine)
    issued = staff.post(f"/api/v1/invoices/{invoice_id}/issue/")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    assert issued.json()["number_text"].startswith("RE-")
    accountant = login(bob)
    assert accountant.get(f"/api/v1/invoices/{invoice_id}/").status_code == 200
    assert (
        accountant.post(
            "/api/v1/invoices/", _payload(client), content_type="application/json"
        ).status_code
        == 403
    )
    download = accountant.get(f"/api/v1/invoices/{invoice_id}/documents/zugferd/")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download["Content-Type"] == "application/pdf"
    xml = accountant.get(f"/api/v1/invoices/{invoice_id}/documents/xrechnung-ubl/")
    assert xml.status_code == 200 and b"<Invoice" in xml.content
    assert accountant.get(f"/api/v1/invoices/{invoice_id}/documents/docx/").status_code == 404
    staff = login(sabine)  # one test client: logging in again switches the person
    cancelled = staff.post(
        f"/api/v1/invoices/{invoice_id}/cancel/",
        {"reason": "wrong"},
        content_type="application/json",
    )
    assert cancelled.status_code == 201 and cancelled.json()["gross_total"] == "-1142.40"
    listed = staff.get("/api/v1/invoices/?kind=invoice").json()["results"]
    assert [i["is_cancelled"] for i in listed] == [True]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{**LINE, "quantity": "-1"}]}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": [{**LINE, "unit": "XYZ"}]}, "lines"),
        ({"lines": [{**LINE, "unit_price": "abc"}]}, "lines"),
        ({"client": 999999}, "client"),
    ],
)
def test_bad_api_input_is_a_clear_400_and_nothing_is_saved(
    coop_a_ready, login, alice, change, field
):
    client = make_client(alice)
    response = login(alice).post(
        "/api/v1/invoices/", _payload(client, **change), content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["message"]
    with tenant_scope(coop_a_ready):
        assert not Invoice.objects.exists()


def test_invoice_list_query_count_does_not_grow(coop_a_ready, login, alice, sabine):
    client = make_client(alice)
    api = login(sabine)
    for _ in range(2):
        issue(alice, draft(alice, client, [line()]), sabine)
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/v1/invoices/").status_code == 200
    with CaptureQueriesContext(connection) as few_page:
        assert api.get("/invoices/").status_code == 200
    for _ in range(6):
        issue(alice, draft(alice, client, [line(), line(description="More")]), sabine)
    with CaptureQueriesContext(connection) as many:
        response = api.get("/api/v1/invoices/")
    assert response.json()["count"] == 8
    assert len(many.captured_queries) == len(few.captured_queries) <= 16
    with CaptureQueriesContext(connection) as many_page:
        assert api.get("/invoices/").status_code == 200
    assert len(many_page.captured_queries) == len(few_page.captured_queries) <= 20


def test_other_cooperative_sees_404_everywhere(
    coop_a_ready, coop_b_ready, login, alice, sabine, carol, dirk
):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line()]), sabine)
    waiting = draft(alice, client, [line()])
    with tenant_scope(coop_a_ready):
        from invoicing import invoice_services

        invoice_services.invoice_submit(invoice=waiting, actor=alice.user)
    reads = [
        f"/api/v1/invoices/{invoice.pk}/",
        f"/api/v1/invoices/{invoice.pk}/documents/pdf/",
        f"/invoices/{invoice.pk}/",
        f"/invoices/{invoice.pk}/pdf/download/",
    ]
    writes = [
        (f"/api/v1/invoices/{waiting.pk}/issue/", {}),
        (f"/api/v1/invoices/{waiting.pk}/return/", {"reason": "x"}),
        (f"/api/v1/invoices/{invoice.pk}/cancel/", {"reason": "x"}),
        (f"/api/v1/invoices/{invoice.pk}/credit-notes/", {"reason": "x", "lines": [LINE]}),
        (f"/api/v1/invoices/{invoice.pk}/resend/", {}),
        (f"/invoices/{waiting.pk}/issue/", {}),
        (f"/invoices/{invoice.pk}/cancel/", {"reason": "x"}),
        (f"/invoices/{invoice.pk}/credit-note/", {}),
    ]
    for persona in (carol, dirk):
        web = login(persona)
        for url in reads:
            assert web.get(url).status_code == 404, (persona.role, url)
        for url, data in writes:
            if persona is carol and (
                "issue" in url or "cancel" in url or "credit" in url or "return" in url
            ):
                continue  # members are refused before any lookup (403), tested below
            response = (
                web.post(url, data, content_type="application/json")
                if url.startswith("/api/")
                else web.post(url, data)
            )
            assert response.status_code == 404, (persona.role, url)
        foreign = web.get(f"/api/v1/invoices/{invoice.pk}/").json()
        missing = web.get("/api/v1/invoices/999999/").json()
        assert foreign == missing
        assert web.get("/api/v1/invoices/").json()["count"] == 0
    member = login(carol)
    for suffix in ("submit/", "edit/", "delete/"):
        assert member.post(f"/invoices/{waiting.pk}/{suffix}").status_code == 404
    assert (
        member.put(
            f"/api/v1/invoices/{waiting.pk}/", {}, content_type="application/json"
        ).status_code
        == 404
    )
    assert member.delete(f"/api/v1/invoices/{waiting.pk}/").status_code == 404
    admin = login(dirk)
    assert admin.get(f"/admin/invoicing/invoice/{invoice.pk}/change/").status_code == 404
    with tenant_scope(coop_a_ready):
        assert Invoice.objects.get(pk=waiting.pk).status == "submitted"


def test_another_member_of_the_same_cooperative_cannot_see_or_change(
    coop_a_ready, login, alice, sabine
):
    from tests.conftest import make_person

    other = make_person(coop_a_ready, "otto@alpha.example", "member", full_name="Otto Other")
    client = make_client(alice)
    mine = draft(alice, client, [line()])
    web = login(other)
    assert web.get(f"/invoices/{mine.pk}/").status_code == 404
    assert web.post(f"/invoices/{mine.pk}/submit/").status_code == 404
    assert web.get(f"/api/v1/invoices/{mine.pk}/").status_code == 404


def test_portal_draft_form_submit_and_escaped_text(coop_a_ready, login, alice, sabine):
    client = make_client(alice)
    web = login(alice)
    assert web.get("/invoices/new/").status_code == 200
    form = {
        "client": client.pk,
        "job": "",
        "supply_date": "2026-11-20",
        "period_start": "",
        "period_end": "",
        "payment_terms_days": "14",
        "buyer_reference": "",
        "vat_note": "",
        "note": "<script>alert(1)</script>",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "<b>Logo</b>",
        "lines-0-detail": "",
        "lines-0-quantity": "2",
        "lines-0-unit": "HUR",
        "lines-0-unit_price": "50.00",
        "lines-0-vat": "S19",
        "lines-1-description": "",
        "lines-1-detail": "",
        "lines-1-quantity": "",
        "lines-1-unit": "HUR",
        "lines-1-unit_price": "",
        "lines-1-vat": "S19",
    }
    response = web.post("/invoices/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(coop_a_ready):
        invoice = Invoice.objects.get()
    page = web.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;b&gt;Logo&lt;/b&gt;" in page
    bad = web.post("/invoices/new/", {**form, "lines-0-quantity": "-3"})
    assert bad.status_code == 200 and "error-summary" in bad.content.decode()
    assert web.post(f"/invoices/{invoice.pk}/submit/").status_code == 302
    with tenant_scope(coop_a_ready):
        assert Invoice.objects.get(pk=invoice.pk).status == "submitted"
    staff = login(sabine)
    assert staff.post(f"/invoices/{invoice.pk}/issue/").status_code == 302
    with tenant_scope(coop_a_ready):
        assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    assert staff.get(f"/invoices/{invoice.pk}/credit-note/").status_code == 200


def test_admin_queue_issues_and_returns_in_bulk(coop_a_ready, login, alice, sabine):
    client = make_client(alice)
    invoices = [draft(alice, client, [line(price=f"{100 + n}.00")]) for n in range(3)]
    with tenant_scope(coop_a_ready):
        from invoicing import invoice_services

        for invoice in invoices:
            invoice_services.invoice_submit(invoice=invoice, actor=alice.user)
    admin = login(sabine)
    assert admin.get("/admin/invoicing/invoice/?status__exact=submitted").status_code == 200
    issued = admin.post(
        "/admin/invoicing/invoice/",
        {"action": "issue_selected", "_selected_action": [invoices[0].pk, invoices[1].pk]},
    )
    assert issued.status_code == 302
    ask = admin.post(
        "/admin/invoicing/invoice/",
        {"action": "return_selected", "_selected_action": [invoices[2].pk]},
    )
    assert ask.status_code == 200 and b"reason" in ask.content
    done = admin.post(
        "/admin/invoicing/invoice/",
        {
            "action": "return_selected",
            "_selected_action": [invoices[2].pk],
            "apply": "1",
            "reason": "Please add the order number",
        },
    )
    assert done.status_code == 302
    with tenant_scope(coop_a_ready):
        statuses = [Invoice.objects.get(pk=i.pk).status for i in invoices]
    assert statuses == ["issued", "issued", "draft"]
    assert admin.get(f"/admin/invoicing/invoice/{invoices[0].pk}/change/").status_code == 200


def test_api_lines_without_unit_or_vat_are_a_400(coop_a_ready, login, alice):
    client = make_client(alice)
    partial = {k: v for k, v in LINE.items() if k not in ("unit", "vat_category", "vat_rate")}
    response = login(alice).post(
        "/api/v1/invoices/", _payload(client, lines=[partial]), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["message"]


def test_admin_post_against_an_issued_invoice_changes_nothing(coop_a_ready, login, alice, sabine):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line()]), sabine)
    admin = login(sabine)
    response = admin.post(
        f"/admin/invoicing/invoice/{invoice.pk}/change/",
        {"note": "changed", "gross_total": "1.00", "status": "draft"},
    )
    assert response.status_code == 403
    assert (
        admin.post(f"/admin/invoicing/invoice/{invoice.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    with tenant_scope(coop_a_ready):
        fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.status, fresh.note, fresh.gross_total) == ("issued", "", invoice.gross_total)
