"""Webhooks: a member's tool learns of their invoice issued and paid, reminders and salaries,
signed so it can check the sender; deliveries retry with back-off and never repeat an event;
nobody sees another member's or cooperative's webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from tenancy.scope import tenant_scope
from tests.dunning.test_dunning import _pay
from tests.invoicing.conftest import draft, issue, line, make_client
from webhooks import events, services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _register(persona, url, events_=("invoice.issued", "invoice.paid"), member=True):
    with tenant_scope(persona.cooperative):
        return services.endpoint_create(
            cooperative=persona.cooperative,
            member=persona.member if member else None,
            url=url,
            events=list(events_),
            description="my tool",
            actor=persona.user,
        )


def _send(coop) -> int:
    return services.deliveries_send(cooperative=coop)


def test_signatures_verify_and_tampering_does_not():
    body = b'{"event":"invoice.paid"}'
    header = services.sign("whsec_x", 1_800_000_000, body)
    expected = hmac.new(b"whsec_x", b"1800000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1800000000,v1={expected}"
    assert services.verify("whsec_x", header, body, now=1_800_000_100)
    assert not services.verify("whsec_x", header, body + b" ", now=1_800_000_100)
    assert not services.verify("whsec_y", header, body, now=1_800_000_100)
    assert not services.verify("whsec_x", header, body, now=1_800_000_000 + 301)
    assert not services.verify("whsec_x", "garbage", body)


def test_an_issued_and_paid_invoice_reach_the_members_tool_signed(
    coop_a_ready, alice, sabine, receiver
):
    _endpoint, secret = _register(alice, receiver.url)
    buyer = make_client(alice)
    invoice = issue(alice, draft(alice, buyer, [line(quantity="2", price="100.00")]), sabine)
    with tenant_scope(coop_a_ready):
        events.invoice_issued(invoice)  # emitted twice: still one delivery
        assert WebhookDelivery.objects.filter(event="invoice.issued").count() == 1
    assert _send(coop_a_ready) == 1
    request = receiver.requests[0]
    body = request["body"]
    assert services.verify(secret, request["headers"]["x-smartcoop-signature"], body)
    payload = json.loads(body)
    assert payload["event"] == request["headers"]["x-smartcoop-event"] == "invoice.issued"
    assert payload["id"] == request["headers"]["x-smartcoop-delivery"]
    assert payload["data"]["invoice"]["number"] == invoice.number_text
    assert payload["data"]["invoice"]["gross"] == "238.00"
    with tenant_scope(coop_a_ready):
        _pay(coop_a_ready, invoice, Decimal("238.00"))
    assert _send(coop_a_ready) == 1
    paid = json.loads(receiver.requests[1]["body"])
    assert paid["event"] == "invoice.paid" and paid["data"]["invoice"]["paid"] == "238.00"
    with tenant_scope(coop_a_ready):
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert _send(coop_a_ready) == 0  # nothing sent twice


def test_failures_back_off_then_give_up_and_can_be_sent_again(
    coop_a_ready, alice, sabine, receiver
):
    _register(alice, receiver.url, ["invoice.issued"])
    receiver.status = 500
    buyer = make_client(alice)
    issue(alice, draft(alice, buyer, [line()]), sabine)
    assert _send(coop_a_ready) == 0
    with tenant_scope(coop_a_ready):
        delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert timedelta(seconds=55) < delivery.next_attempt_at - timezone.now() <= timedelta(60)
    assert _send(coop_a_ready) == 0 and len(receiver.requests) == 1  # not due yet
    for _attempt in range(2, WebhookDelivery.MAX_ATTEMPTS + 1):
        with tenant_scope(coop_a_ready):
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        _send(coop_a_ready)
    with tenant_scope(coop_a_ready):
        delivery.refresh_from_db()
        assert delivery.status == "failed" and delivery.attempts == WebhookDelivery.MAX_ATTEMPTS
        receiver.status = 204
        services.delivery_retry(delivery=delivery)
    assert _send(coop_a_ready) == 1
    # An unreachable receiver is an error, not a crash.
    _register(alice, "http://127.0.0.1:9/closed", ["invoice.issued"])
    issue(alice, draft(alice, buyer, [line()]), sabine)
    _send(coop_a_ready)
    with tenant_scope(coop_a_ready):
        closed = WebhookDelivery.objects.get(endpoint__url__endswith="/closed")
    assert closed.last_status_code is None and closed.last_error


def test_the_cooperatives_webhook_hears_every_member_a_members_only_their_own(
    coop_a_ready, alice, bob, sabine, receiver
):
    from tests.conftest import make_person

    olga = make_person(coop_a_ready, "olga@example.org", "member", full_name="Olga Ost")
    _register(alice, receiver.url + "/alice", ["invoice.issued"])
    _register(sabine, receiver.url + "/coop", ["invoice.issued"], member=False)
    buyer = make_client(olga)
    issue(olga, draft(olga, buyer, [line()]), sabine)
    _send(coop_a_ready)
    assert [json.loads(r["body"])["event"] for r in receiver.requests] == ["invoice.issued"]
    with tenant_scope(coop_a_ready):
        urls = list(WebhookDelivery.objects.values_list("endpoint__url", flat=True))
    assert urls == [receiver.url + "/coop"]


def test_endpoints_refuse_bad_urls_and_events(coop_a_ready, alice, settings):
    with pytest.raises(ApplicationError) as no_events:
        _register(alice, "https://tool.example/hook", [])
    assert no_events.value.code == "webhook_events"
    settings.SMARTCOOP_WEBHOOK_ALLOW_HTTP = False
    settings.SMARTCOOP_WEBHOOK_ALLOW_PRIVATE = False
    for url, code in (
        ("http://tool.example/hook", "webhook_url"),
        ("https://user:pw@tool.example/hook", "webhook_url"),
        ("https://127.0.0.1/hook", "webhook_private"),
        ("https://10.1.2.3/hook", "webhook_private"),
    ):
        with pytest.raises(ApplicationError) as refused:
            _register(alice, url)
        assert refused.value.code == code, url


def test_pages_and_api_show_only_the_own_webhooks(
    coop_a_ready, coop_b, alice, carol, sabine, login, receiver
):
    page = login(alice).post(
        "/webhooks/", {"url": receiver.url, "events": ["invoice.issued"], "description": "x"}
    )
    assert "whsec_" in page.content.decode()  # the secret, shown once
    with tenant_scope(coop_a_ready):
        endpoint = WebhookEndpoint.objects.get()
    assert "whsec_" not in login(alice).get("/webhooks/").content.decode()
    api = login(alice).get("/api/v1/webhooks/").json()
    assert [e["id"] for e in api] == [endpoint.pk] and "secret" not in api[0]
    assert login(alice).get(f"/webhooks/{endpoint.pk}/").status_code == 200
    assert login(alice).get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json() == []
    # Staff manage the cooperative's own webhooks, not the members'.
    assert login(sabine).get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    assert login(sabine).get("/api/v1/webhooks/").json() == []
    # Another cooperative: like a missing one, in pages and API.
    other = login(carol)
    for url in (
        f"/webhooks/{endpoint.pk}/",
        f"/api/v1/webhooks/{endpoint.pk}/",
        f"/api/v1/webhooks/{endpoint.pk}/deliveries/",
    ):
        assert other.get(url).status_code == 404
    assert other.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert other.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    created = login(alice).post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "events": ["reminder.sent"]},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    assert login(alice).delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    bad = login(alice).post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "events": ["nope"]},
        content_type="application/json",
    )
    assert bad.status_code == 400


def test_reminders_and_salaries_are_announced(coop_a_ready, alice, sabine, stefan, receiver):
    from datetime import date

    from dunning import services as dunning_services
    from payroll import services as payroll_services
    from payroll.models import PayrollRun
    from tests.payroll.test_runs import SIX_MONTHS, _employ, _income

    _register(alice, receiver.url, ["reminder.sent", "salary.approved"])
    _register(sabine, receiver.url + "/coop", ["salary.approved"], member=False)
    buyer = make_client(alice)
    invoice = issue(alice, draft(alice, buyer, [line(quantity="10", price="100.00")]), sabine)
    with tenant_scope(coop_a_ready):
        created = dunning_services.dunning_run(
            cooperative=coop_a_ready, on=invoice.due_date + timedelta(days=20)
        )
        assert created
        from dunning.models import Reminder

        dunning_services.reminders_send(
            reminder_ids=list(Reminder.objects.values_list("pk", flat=True))
        )
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    payroll_services.payroll_run_compute(cooperative=coop_a_ready, month=date(2026, 11, 1))
    with tenant_scope(coop_a_ready):
        run = PayrollRun.objects.get()
        run = payroll_services.payroll_run_submit(run=run, actor=sabine.user)
        payroll_services.payroll_run_approve(run=run, actor=stefan.user)
    _send(coop_a_ready)
    kinds = sorted(json.loads(r["body"])["event"] for r in receiver.requests)
    assert kinds == ["reminder.sent", "salary.approved", "salary.approved"]
    payloads = [json.loads(r["body"])["data"] for r in receiver.requests]
    assert any("salary" in p and p["salary"]["month"] == "2026-11" for p in payloads)
    assert any("payroll_run" in p and p["payroll_run"]["lines"] == 1 for p in payloads)
    assert any(p.get("reminder", {}).get("level") == 1 for p in payloads)
    for request in receiver.requests:
        assert request["headers"]["x-smartcoop-event"] == json.loads(request["body"])["event"]


def test_the_post_goes_to_the_address_checked_not_a_second_dns_answer(
    coop_a_ready, alice, sabine, receiver, monkeypatch
):
    """DNS rebinding: the name is resolved once, checked, and the connection made to that very
    address (the Host header still carries the name)."""
    import socket

    real = socket.getaddrinfo
    answers = []

    def resolve(host, port, *args, **kwargs):
        if host == "hooks.example":
            answers.append(host)
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    port = receiver.url.split(":")[2].split("/")[0]
    _register(alice, f"http://hooks.example:{port}/hook", ["invoice.issued"])
    issue(alice, draft(alice, make_client(alice), [line()]), sabine)
    answers.clear()
    assert _send(coop_a_ready) == 1
    assert answers == ["hooks.example"]  # one lookup per send, the one that was checked
    assert receiver.requests[0]["headers"]["host"] == f"hooks.example:{port}"


def test_a_switched_off_webhook_waits_and_only_given_up_deliveries_go_again(
    coop_a_ready, alice, sabine, receiver, login
):
    from tests.conftest import make_person

    endpoint, _secret = _register(alice, receiver.url, ["invoice.issued"])
    issue(alice, draft(alice, make_client(alice), [line()]), sabine)
    with tenant_scope(coop_a_ready):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert _send(coop_a_ready) == 0 and receiver.requests == []
    with tenant_scope(coop_a_ready):
        delivery = WebhookDelivery.objects.get()
        with pytest.raises(ApplicationError) as pending:
            services.delivery_retry(delivery=delivery)
    assert pending.value.code == "not_failed"
    olga = make_person(coop_a_ready, "olga@example.org", "member", full_name="Olga Ost")
    url = f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/"
    assert login(olga).post(url).status_code == 404
    assert login(olga).post(f"/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert login(alice).post(url).status_code == 302  # refused with a message, not an error
