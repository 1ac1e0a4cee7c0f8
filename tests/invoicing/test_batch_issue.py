"""Staff approve a list of invoices at once ("approve and issue" in the admin): one
transaction, numbers without a gap in the order the invoices were submitted, a refusal for
what cannot be issued, one notice per member, and the same number of queries for six invoices
as for three."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import invoice_services
from invoicing.models import Invoice, InvoiceDelivery
from ledger.models import Transaction
from tenancy.models import Role
from tenancy.scope import tenant_scope
from tests.conftest import make_person
from tests.invoicing.conftest import draft, line, make_client

pytestmark = pytest.mark.django_db


def _submitted(persona, client, count: int) -> list[Invoice]:
    invoices = []
    for n in range(count):
        invoice = draft(persona, client, [line(quantity="1", price=f"{200 + n}.00")])
        with tenant_scope(persona.cooperative):
            invoices.append(invoice_services.invoice_submit(invoice=invoice, actor=persona.user))
    return invoices


def _issue(persona, staff, invoices):
    with tenant_scope(persona.cooperative):
        return invoice_services.invoices_issue(invoices=invoices, actor=staff.user)


def test_a_batch_is_numbered_in_order_with_refusals_and_one_notice_per_member(
    coop_a_ready, alice, sabine, carol, mailoutbox
):
    kim = make_person(coop_a_ready, "kim@example.org", Role.MEMBER, full_name="Kim Koch")
    alices = _submitted(alice, make_client(alice), 3)
    kims = _submitted(kim, make_client(kim), 1)
    still_draft = draft(alice, make_client(alice, name="Other GmbH"), [line()])
    foreign = _submitted(carol, make_client(carol), 1)[0]  # another cooperative's

    result = _issue(alice, sabine, [*alices, still_draft, *kims, foreign])

    assert [i.pk for i in result.issued] == [i.pk for i in [*alices, *kims]]
    assert [i.number for i in result.issued] == [1, 2, 3, 4]
    assert [(i.pk, e.code) for i, e in result.refused] == [(still_draft.pk, "not_submitted")]
    with tenant_scope(coop_a_ready):
        issued = Invoice.objects.filter(status=Invoice.Status.ISSUED)
        assert issued.count() == 4
        keys = set(Transaction.objects.values_list("idempotency_key", flat=True))
        assert {f"invoice-issue:{i.pk}" for i in issued} <= keys
        assert InvoiceDelivery.objects.count() == 4
    with tenant_scope(foreign.cooperative):
        assert Invoice.objects.get(pk=foreign.pk).status == Invoice.Status.SUBMITTED
    notices = sorted(
        m.subject for m in mailoutbox if m.to in (["kim@example.org"], [alice.user.email])
    )
    assert len(notices) == 2  # one per member
    assert any("3" in subject for subject in notices)


def test_the_same_queries_for_six_invoices_as_for_three(coop_a_ready, alice, sabine):
    client = make_client(alice)
    _issue(alice, sabine, _submitted(alice, client, 1))  # the range's counter, the accounts
    three, six = _submitted(alice, client, 3), _submitted(alice, client, 6)
    with CaptureQueriesContext(connection) as first:
        _issue(alice, sabine, three)
    with CaptureQueriesContext(connection) as second:
        _issue(alice, sabine, six)
    assert len(second) == len(first)


def test_a_staff_member_cannot_approve_their_own_invoice_in_a_batch(coop_a_ready, alice, sabine):
    own = _submitted(sabine, make_client(sabine), 1) if sabine.member else []
    others = _submitted(alice, make_client(alice), 1)
    result = _issue(alice, sabine, [*own, *others])
    assert [i.pk for i in result.issued] == [others[0].pk]
    assert [e.code for _i, e in result.refused] == (["own_invoice"] if own else [])
