"""Invoice stories: Alice drafts from her job, submits, Sabine (staff) issues; numbers, totals,
RF reference, hash chain and ledger; cancellation (T7) and credit notes; input mistakes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from invoicing import invoice_services
from invoicing.models import Invoice, InvoiceLine, InvoicingSettings, NumberCounter
from ledger.models import Account, AccountKind, Entry, Transaction
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import draft, issue, line, make_client, make_job

pytestmark = pytest.mark.django_db
D = Decimal


def balance(cooperative, kind, member=None) -> Decimal:
    with tenant_scope(cooperative):
        accounts = Account.objects.filter(kind=kind)
        if member is not None:
            accounts = accounts.filter(member=member)
        return sum((e.amount for e in Entry.objects.filter(account__in=accounts)), D("0.00"))


def test_t1_invoice_from_job_is_issued_with_number_reference_and_ledger(
    coop_a_ready, alice, sabine
):
    client = make_client(alice)
    job = make_job(alice, client)
    with tenant_scope(coop_a_ready):
        invoice = invoice_services.invoice_draft_from_job(job=job, member=alice.member)
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        D("3187.50"),
        D("605.63"),
        D("3793.13"),
    )
    assert invoice.period_start == date(2026, 11, 2) and invoice.supply_date is None
    issued = issue(alice, invoice, sabine)
    year = timezone.localdate().year
    assert issued.status == "issued" and not issued.auto_issued
    assert issued.number_text == f"RE-{year}-00001"
    assert issued.rf_reference.startswith("RF") and issued.rf_reference.endswith(f"RE{year}00001")
    assert issued.due_date == issued.issue_date + timedelta(days=14)
    assert issued.seller["vat_id"] == "DE136695976" and issued.buyer["name"] == "Atelier Nord GmbH"
    assert issued.member_name == alice.member.full_name
    assert len(issued.hash) == 64 and issued.previous_hash == ""
    assert balance(coop_a_ready, AccountKind.RECEIVABLES) == D("3793.13")
    assert balance(coop_a_ready, AccountKind.OUTPUT_VAT_19) == D("-605.63")
    assert balance(coop_a_ready, AccountKind.MEMBER_PENDING, alice.member) == D("-3187.50")


def test_hash_chain_links_each_number_to_the_previous_and_detects_tampering(
    coop_a_ready, alice, sabine
):
    client = make_client(alice)
    first = issue(alice, draft(alice, client, [line()]), sabine)
    second = issue(alice, draft(alice, client, [line(price="200.00")]), sabine)
    assert second.previous_hash == first.hash
    assert second.number == first.number + 1
    with tenant_scope(coop_a_ready):
        lines = list(InvoiceLine.objects.filter(invoice=second))
        recomputed = invoice_services.fingerprint(
            invoice=second, lines=lines, previous_hash=first.hash
        )
        assert recomputed == second.hash
        second.gross_total = D("1.00")
        tampered = invoice_services.fingerprint(
            invoice=second, lines=lines, previous_hash=first.hash
        )
        assert tampered != second.hash
        assert NumberCounter.objects.get().last_hash == second.hash


def test_t7_cancellation_negates_everything_and_reverses_the_ledger(coop_a_ready, alice, sabine):
    client = make_client(alice)
    original = issue(alice, draft(alice, client, [line(quantity="37.5", price="85.00")]), sabine)
    with tenant_scope(coop_a_ready):
        storno = invoice_services.invoice_cancel(
            invoice=original, actor=sabine.user, reason="Wrong client"
        )
    assert storno.kind == "cancellation" and storno.type_code == "381"
    assert storno.corrects_id == original.pk and storno.number == original.number + 1
    assert (storno.net_total, storno.vat_total, storno.gross_total) == (
        D("-3187.50"),
        D("-605.63"),
        D("-3793.13"),
    )
    assert storno.previous_hash == original.hash
    assert balance(coop_a_ready, AccountKind.RECEIVABLES) == 0
    assert balance(coop_a_ready, AccountKind.MEMBER_PENDING, alice.member) == 0
    with tenant_scope(coop_a_ready), pytest.raises(ApplicationError) as again:
        invoice_services.invoice_cancel(invoice=original, actor=sabine.user, reason="twice")
    assert again.value.code == "cancelled"


def test_credit_notes_are_partial_and_never_exceed_the_invoice(coop_a_ready, alice, sabine):
    client = make_client(alice)
    original = issue(alice, draft(alice, client, [line(quantity="10", price="100.00")]), sabine)
    with tenant_scope(coop_a_ready):
        credit = invoice_services.invoice_credit_note(
            invoice=original,
            actor=sabine.user,
            reason="Two hours not worked",
            lines=[line(quantity="2", price="100.00")],
        )
        assert (credit.net_total, credit.gross_total) == (D("-200.00"), D("-238.00"))
        assert credit.kind == "credit_note" and credit.corrects_id == original.pk
        with pytest.raises(ApplicationError) as too_much:
            invoice_services.invoice_credit_note(
                invoice=original,
                actor=sabine.user,
                reason="all",
                lines=[line(quantity="9", price="100.00")],
            )
        assert too_much.value.code == "credit_too_high"
        with pytest.raises(ApplicationError) as other_rate:
            invoice_services.invoice_credit_note(
                invoice=original, actor=sabine.user, reason="x", lines=[line(rate="7")]
            )
        assert other_rate.value.code == "vat_category"
        with pytest.raises(ApplicationError) as cancel:
            invoice_services.invoice_cancel(invoice=original, actor=sabine.user, reason="x")
        assert cancel.value.code == "has_credit_note"
    assert balance(coop_a_ready, AccountKind.RECEIVABLES) == D("952.00")
    assert balance(coop_a_ready, AccountKind.OUTPUT_VAT_19) == D("-152.00")
    assert balance(coop_a_ready, AccountKind.MEMBER_PENDING, alice.member) == D("-800.00")


def test_credit_note_with_fees_on_issue_takes_back_fee_and_budget_in_proportion(
    coop_a_ready, alice, sabine
):
    from ledger.models import FeeRule

    with tenant_scope(coop_a_ready):
        FeeRule.objects.update(charge_on=FeeRule.ChargeOn.ISSUE)
    client = make_client(alice)
    original = issue(alice, draft(alice, client, [line(quantity="10", price="100.00")]), sabine)
    assert balance(coop_a_ready, AccountKind.MEMBER_BUDGET, alice.member) == D("-910.00")
    with tenant_scope(coop_a_ready):
        invoice_services.invoice_credit_note(
            invoice=original, actor=sabine.user, reason="x", lines=[line(price="100.00")]
        )
    assert balance(coop_a_ready, AccountKind.MEMBER_BUDGET, alice.member) == D("-819.00")
    assert balance(coop_a_ready, AccountKind.FEE_INCOME) == D("-81.00")


def test_auto_approval_issues_for_a_known_client_and_a_confirmed_job(coop_a_ready, alice, sabine):
    client = make_client(alice)
    with tenant_scope(coop_a_ready):
        InvoicingSettings.objects.update(auto_issue=True, auto_issue_max_gross=D("500.00"))
    job = make_job(
        alice, client, pricing="fixed", hours=None, hourly_rate=None, fixed_price=D("300")
    )
    first = issue(alice, draft(alice, client, [line(price="300.00")], job=job), sabine)
    assert first.issued_by == sabine.user and not first.auto_issued  # client not known yet
    with tenant_scope(coop_a_ready):
        second = draft(alice, client, [line(price="300.00")], job=job)
        submitted = invoice_services.invoice_submit(invoice=second, actor=alice.user)
        assert submitted.status == "issued" and submitted.auto_issued
        over_limit = draft(alice, client, [line(price="500.00")], job=job)
        assert invoice_services.invoice_submit(invoice=over_limit, actor=alice.user).status == (
            "submitted"
        )
        no_job = draft(alice, client, [line(price="10.00")])
        assert invoice_services.invoice_submit(invoice=no_job, actor=alice.user).status == (
            "submitted"
        )


def test_staff_return_an_invoice_with_a_reason(coop_a_ready, alice, sabine, mailoutbox):
    client = make_client(alice)
    invoice = draft(alice, client, [line()])
    with tenant_scope(coop_a_ready):
        invoice_services.invoice_submit(invoice=invoice, actor=alice.user)
        with pytest.raises(ApplicationError):
            invoice_services.invoice_return(invoice=invoice, actor=sabine.user, reason=" ")
        invoice_services.invoice_return(invoice=invoice, actor=sabine.user, reason="Wrong rate")
        invoice.refresh_from_db()
    assert invoice.status == "draft" and invoice.returned_reason == "Wrong rate"


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (line(quantity="-1"), "quantity_not_positive"),
        (line(quantity="0"), "quantity_not_positive"),
        (line(price="-5.00"), "price_negative"),
        (line(price="1.005"), "price_precision"),
        (line(description="  "), "line_description"),
        (line(rate="16"), "vat_rate"),
        (line(unit="XXX"), "unit"),
    ],
)
def test_bad_lines_get_a_clear_error_and_nothing_is_saved(coop_a_ready, alice, bad, code):
    client = make_client(alice)
    with pytest.raises(ApplicationError) as error:
        draft(alice, client, [bad])
    assert error.value.code == code
    assert error.value.message
    with tenant_scope(coop_a_ready):
        assert not Invoice.objects.exists()


def test_vat_cases_are_checked_against_the_client(coop_a_ready, alice):
    german = make_client(alice)
    with pytest.raises(ApplicationError) as rc:
        draft(alice, german, [line(cat="AE", rate="0")])
    assert rc.value.code == "vat_category"
    with pytest.raises(ApplicationError) as reduced:
        draft(alice, german, [line(rate="7")])
    assert reduced.value.code == "vat_note_required"
    ok = draft(alice, german, [line(rate="7")], vat_note="§ 12 (2) no. 7 a UStG")
    assert ok.vat_total == D("7.00")
    french = make_client(alice, name="Studio Paris", country="FR", vat_id="FR40303265045")
    assert draft(alice, french, [line(cat="AE", rate="0")]).vat_total == 0
    swiss = make_client(alice, name="Zürich AG", country="CH", vat_id="")
    assert draft(alice, swiss, [line(cat="O", rate="0")]).gross_total == D("100.00")
    with pytest.raises(ApplicationError):
        draft(alice, swiss, [line(cat="O", rate="0"), line(cat="S", rate="19")])


def test_t3_mixed_rates_and_t5_small_amount(coop_a_ready, alice, sabine):
    client = make_client(alice)
    mixed = draft(
        alice,
        client,
        [line(quantity="3", price="99.99"), line(quantity="7", price="0.07", rate="7")],
        vat_note="books",
    )
    assert (mixed.net_total, mixed.vat_total, mixed.gross_total) == (
        D("300.46"),
        D("57.02"),
        D("357.48"),
    )
    assert len(mixed.vat_breakdown) == 2 and not mixed.small_amount
    small = draft(alice, client, [line(price="200.00")])
    assert small.gross_total == D("238.00") and small.small_amount


def test_full_invoice_needs_the_buyer_address_small_amount_does_not(coop_a_ready, alice, sabine):
    consumer = make_client(
        alice, kind="consumer", name="Eva Muster", street="", postal_code="", city="", vat_id=""
    )
    big = draft(alice, consumer, [line(price="300.00")])
    with tenant_scope(coop_a_ready), pytest.raises(ApplicationError) as error:
        invoice_services.invoice_submit(invoice=big, actor=alice.user)
    assert error.value.code == "buyer_address_required"
    small = issue(alice, draft(alice, consumer, [line(price="100.00")]), sabine)
    assert small.status == "issued" and small.small_amount


def test_issuing_needs_the_cooperatives_tax_number_and_contact(coop_a, alice, sabine):
    from tests.invoicing.conftest import ready_to_issue

    ready_to_issue(coop_a)
    coop_a.vat_id = coop_a.tax_number = ""
    coop_a.save()
    client = make_client(alice)
    invoice = draft(alice, client, [line()])
    with pytest.raises(ApplicationError) as error:
        issue(alice, invoice, sabine)
    assert error.value.code == "seller_tax_id_missing"
    with tenant_scope(coop_a):
        invoice.refresh_from_db()
        assert invoice.number is None and not NumberCounter.objects.filter(last_number__gt=0)


def _issued_invoice(coop, alice, sabine):
    client = make_client(alice)
    return issue(alice, draft(alice, client, [line()]), sabine)


def test_r6_issued_invoice_cannot_change_through_the_orm(coop_a_ready, alice, sabine):
    invoice = _issued_invoice(coop_a_ready, alice, sabine)
    with tenant_scope(coop_a_ready):
        attempts = [
            lambda: Invoice.objects.filter(pk=invoice.pk).update(gross_total=D("1.00")),
            lambda: Invoice.objects.get(pk=invoice.pk).delete(),
            lambda: InvoiceLine.objects.filter(invoice=invoice).update(unit_price=D("1.00")),
            lambda: InvoiceLine.objects.filter(invoice=invoice).delete(),
            lambda: InvoiceLine.objects.create(
                cooperative=coop_a_ready,
                invoice=invoice,
                position=9,
                description="extra",
                quantity=D("1"),
                unit_price=D("1.00"),
            ),
        ]
        saved = Invoice.objects.get(pk=invoice.pk)
        saved.note = "changed"
        attempts.append(saved.save)
        attempts.append(lambda: Invoice.objects.bulk_update([saved], ["note"]))
        for attempt in attempts:
            with pytest.raises(IntegrityError), transaction.atomic():
                attempt()
        assert Invoice.objects.get(pk=invoice.pk).note == ""


@pytest.mark.postgres
def test_r6_raw_sql_as_the_application_role_is_rejected(coop_a_ready, alice, sabine):
    invoice = _issued_invoice(coop_a_ready, alice, sabine)
    statements = [
        "UPDATE invoicing_invoice SET gross_total = 1 WHERE id = %s",
        "UPDATE invoicing_invoice SET status = 'draft' WHERE id = %s",
        "DELETE FROM invoicing_invoice WHERE id = %s",
        "UPDATE invoicing_invoiceline SET unit_price = 1 WHERE invoice_id = %s",
        "DELETE FROM invoicing_invoiceline WHERE invoice_id = %s",
    ]
    with tenant_scope(coop_a_ready):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            assert cursor.fetchone() == (False, False)  # the application role, as in production
        for statement in statements:
            with (
                pytest.raises(IntegrityError),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute("SET LOCAL pgtrigger.ignore = '{}'")
                cursor.execute(statement, [invoice.pk])
        assert Invoice.objects.get(pk=invoice.pk).status == "issued"


def test_drafts_can_change_and_be_deleted(coop_a_ready, alice):
    client = make_client(alice)
    invoice = draft(alice, client, [line()])
    with tenant_scope(coop_a_ready):
        changed = invoice_services.invoice_save_draft(
            invoice=invoice,
            member=alice.member,
            values={"note": "Thanks!"},
            lines=[line(), line(description="Travel", quantity="2", unit="DAY")],
        )
        assert changed.lines.count() == 2 and changed.net_total == D("300.00")
        invoice_services.invoice_delete_draft(invoice=changed)
        assert not Invoice.objects.exists()


def test_issue_and_cancel_post_balanced_ledger_transactions(coop_a_ready, alice, sabine):
    invoice = _issued_invoice(coop_a_ready, alice, sabine)
    with tenant_scope(coop_a_ready):
        invoice_services.invoice_cancel(invoice=invoice, actor=sabine.user, reason="test")
        for tx in Transaction.objects.all():
            assert sum(e.amount for e in tx.entries.all()) == 0


def test_reverse_charge_needs_the_cooperatives_vat_id(coop_a_ready, alice, sabine):
    french = make_client(alice, name="Studio Paris", country="FR", vat_id="FR40303265045")
    coop_a_ready.vat_id = ""
    coop_a_ready.save()
    with pytest.raises(ApplicationError) as error:
        issue(alice, draft(alice, french, [line(cat="AE", rate="0")]), sabine)
    assert error.value.code == "seller_vat_id_missing"


def test_vat_category_is_checked_again_when_issued(coop_a_ready, alice, sabine):
    from invoicing import services

    french = make_client(alice, name="Studio Paris", country="FR", vat_id="FR40303265045")
    invoice = draft(alice, french, [line(cat="AE", rate="0")])
    with tenant_scope(coop_a_ready):
        services.client_save(client=french, values={"kind": "consumer"}, member=None)
    with pytest.raises(ApplicationError) as error:
        issue(alice, invoice, sabine)
    assert error.value.code == "vat_category"


def test_credit_note_is_limited_per_vat_rate(coop_a_ready, alice, sabine):
    client = make_client(alice)
    original = issue(
        alice,
        draft(
            alice,
            client,
            [line(price="100.00"), line(price="1000.00", rate="7")],
            vat_note="§ 12 (2) no. 7 c UStG",
        ),
        sabine,
    )
    with tenant_scope(coop_a_ready), pytest.raises(ApplicationError) as error:
        invoice_services.invoice_credit_note(
            invoice=original, actor=sabine.user, reason="x", lines=[line(price="900.00")]
        )
    assert error.value.code == "credit_too_high" and "19" in error.value.message


def test_invoice_postings_are_reversed_only_with_a_cancellation(coop_a_ready, alice, sabine):
    from ledger.services import ledger_reverse

    invoice = _issued_invoice(coop_a_ready, alice, sabine)
    with tenant_scope(coop_a_ready):
        posting = Transaction.objects.get(idempotency_key=f"invoice-issue:{invoice.pk}")
        with pytest.raises(ApplicationError) as error:
            ledger_reverse(transaction_to_reverse=posting, actor=sabine.user, reason="oops")
        assert error.value.code == "invoice_posting"
        invoice_services.invoice_cancel(invoice=invoice, actor=sabine.user, reason="right way")


def test_staff_do_not_approve_their_own_invoice(coop_a_ready, sabine, dirk):
    from tests.conftest import make_person

    both = make_person(coop_a_ready, sabine.email, "member", full_name="Sabine Stahl")
    client = make_client(both)
    with pytest.raises(ApplicationError) as error:
        issue(both, draft(both, client, [line()]), sabine)
    assert error.value.code == "own_invoice"


def test_failed_auto_issue_leaves_the_invoice_for_staff(coop_a_ready, alice, sabine):
    from ledger.models import FeeRule

    client = make_client(alice)
    issue(alice, draft(alice, client, [line()]), sabine)  # the client is now known
    with tenant_scope(coop_a_ready):
        InvoicingSettings.objects.update(auto_issue=True, auto_issue_requires_confirmed_job=False)
        FeeRule.objects.all().delete()  # issuing will fail: no fee rule
        submitted = invoice_services.invoice_submit(
            invoice=draft(alice, client, [line()]), actor=alice.user
        )
        assert submitted.status == "submitted"


def test_issued_rows_cannot_be_inserted_and_documents_never_change(coop_a_ready, alice, sabine):
    from invoicing import documents
    from invoicing.models import InvoiceDocument

    invoice = _issued_invoice(coop_a_ready, alice, sabine)
    with tenant_scope(coop_a_ready):
        fields = {
            f.attname: getattr(invoice, f.attname)
            for f in Invoice._meta.concrete_fields
            if f.attname not in ("id", "number")
        }
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.create(**fields)
        stored = documents.invoice_document(invoice=invoice, fmt="xrechnung-cii")
        # PostgreSQL: the application role lacks the privilege; SQLite: the trigger refuses.
        with pytest.raises(DatabaseError), transaction.atomic():
            InvoiceDocument.objects.filter(pk=stored.pk).update(content=b"forged")
        with pytest.raises(DatabaseError), transaction.atomic():
            InvoiceDocument.objects.filter(pk=stored.pk).delete()
