"""Idempotency keys on POSTs that create money objects: a retried request never makes a second
invoice, a key reused for another request is a 409, a failed request leaves the key free."""

from __future__ import annotations

import pytest

from invoicing.models import Invoice
from tenancy.models import IdempotencyRecord
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import make_client

pytestmark = pytest.mark.django_db

LINE = {
    "description": "Logo design",
    "quantity": "10",
    "unit": "HUR",
    "unit_price": "80.00",
    "vat_category": "S",
    "vat_rate": "19.00",
}


def _post(api, payload, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post("/api/v1/invoices/", payload, content_type="application/json", **headers)


def _payload(buyer, **changes):
    return {"client": buyer.pk, "supply_date": "2026-11-20", "lines": [LINE], **changes}


def test_the_same_key_replays_the_first_answer(coop_a_ready, login, alice):
    buyer = make_client(alice)
    api = login(alice)
    first = _post(api, _payload(buyer), key="order-4711")
    again = _post(api, _payload(buyer), key="order-4711")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    with tenant_scope(coop_a_ready):
        assert Invoice.objects.count() == 1
    # Without a key every POST creates.
    _post(api, _payload(buyer))
    with tenant_scope(coop_a_ready):
        assert Invoice.objects.count() == 2


def test_the_same_key_with_another_request_is_a_409(coop_a_ready, login, alice):
    buyer = make_client(alice)
    api = login(alice)
    _post(api, _payload(buyer), key="k1")
    other = _post(api, _payload(buyer, note="different"), key="k1")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    with tenant_scope(coop_a_ready):
        assert Invoice.objects.count() == 1


def test_a_refused_request_leaves_the_key_free(coop_a_ready, login, alice):
    buyer = make_client(alice)
    api = login(alice)
    refused = _post(api, _payload(buyer, lines=[]), key="k2")
    assert refused.status_code == 400
    with tenant_scope(coop_a_ready):
        assert not IdempotencyRecord.objects.exists()
    assert _post(api, _payload(buyer), key="k2").status_code == 201


def test_keys_are_personal_and_must_be_sensible(coop_a_ready, login, alice, bob):
    buyer = make_client(alice)
    api = login(alice)
    assert _post(api, _payload(buyer), key="x" * 256).json()["error"]["code"] == (
        "invalid_idempotency_key"
    )
    _post(api, _payload(buyer), key="shared")
    with tenant_scope(coop_a_ready):
        record = IdempotencyRecord.objects.get()
    assert record.user == alice.user and record.status_code == 201


def test_a_key_whose_first_request_still_runs_is_a_409(coop_a_ready, login, alice):
    """The first request's row is there but has no answer yet (it runs in another worker)."""
    buyer = make_client(alice)
    api = login(alice)
    assert _post(api, _payload(buyer), key="busy").status_code == 201
    with tenant_scope(coop_a_ready):
        IdempotencyRecord.objects.filter(key="busy").update(status_code=0, body=None)
    busy = _post(api, _payload(buyer), key="busy")
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "idempotency_key_in_use"


def test_an_expense_claim_posted_twice_with_a_key_is_one_claim(coop_a, login, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from expenses.models import ExpenseClaim

    api = login(alice)

    def send():
        receipt = SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        return api.post(
            "/api/v1/members/me/expenses/",
            {
                "category": "travel",
                "description": "Train",
                "supplier": "DB",
                "receipt_date": "2026-11-02",
                "gross": "119.00",
                "vat_rate": "19",
                "receipt": receipt,
            },
            HTTP_IDEMPOTENCY_KEY="receipt-1",
        )

    first, again = send(), send()
    assert first.status_code == 201, first.json()
    assert again.json() == first.json()
    with tenant_scope(coop_a):
        assert ExpenseClaim.objects.count() == 1


def test_keys_older_than_a_day_are_forgotten(coop_a_ready, login, alice):
    from datetime import timedelta

    from django.utils import timezone

    from core.idempotency import idempotency_records_purge

    buyer = make_client(alice)
    _post(login(alice), _payload(buyer), key="old")
    _post(login(alice), _payload(buyer), key="new")
    with tenant_scope(coop_a_ready):
        IdempotencyRecord.objects.filter(key="old").update(
            created_at=timezone.now() - timedelta(days=2)
        )
        assert idempotency_records_purge() == 1
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
