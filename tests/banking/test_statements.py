"""Bank statements: a camt.053.001.08 we generate pays demo-like invoices in full, partly, several
at once and with an unknown reference; importing again adds nothing; real samples import or fail
clearly; hostile files are refused fast; staff undo a match and the ledger follows."""

from __future__ import annotations

import time
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from banking import services
from banking.matching import unmatched_queryset
from banking.models import Allocation, BankAccount, BankTransaction, StatementImport
from core.exceptions import ApplicationError
from ledger.models import Account, AccountKind, Entry
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import draft, issue, line, make_client

pytestmark = pytest.mark.django_db
D = Decimal
SAMPLES = Path("/work/shared/reference/bank-samples")
IBAN = "DE89370400440532013000"


def camt053(entries: list[dict], iban: str = IBAN, statement_id: str = "STMT-1") -> bytes:
    """A camt.053.001.08 statement as German banks send it (one TxDtls per entry)."""
    rows = []
    for n, e in enumerate(entries, start=1):
        indicator = "CRDT" if e["amount"] > 0 else "DBIT"
        party = "Dbtr" if indicator == "CRDT" else "Cdtr"
        reference = (
            f"<Strd><CdtrRefInf><Ref>{e['rf']}</Ref></CdtrRefInf></Strd>" if e.get("rf") else ""
        )
        text = f"<Ustrd>{e['text']}</Ustrd>" if e.get("text") else ""
        code = e.get("code", ("PMNT", "RCDT" if indicator == "CRDT" else "ICDT", "ESCT"))
        rows.append(
            f"""<Ntry><Amt Ccy="EUR">{abs(e["amount"])}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>
<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{e.get("date", "2026-11-20")}</Dt></BookgDt>
<ValDt><Dt>{e.get("date", "2026-11-20")}</Dt></ValDt><AcctSvcrRef>{e.get("ref", f"REF{n}")}</AcctSvcrRef>
<BkTxCd><Domn><Cd>{code[0]}</Cd><Fmly><Cd>{code[1]}</Cd><SubFmlyCd>{code[2]}</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>{e.get("e2e", "NOTPROVIDED")}</EndToEndId></Refs>
<RltdPties><{party}><Pty><Nm>{e.get("name", "Atelier Nord GmbH")}</Nm></Pty></{party}>
<{party}Acct><Id><IBAN>{e.get("iban", "DE02120300000000202051")}</IBAN></Id></{party}Acct></RltdPties>
<RmtInf>{text}{reference}</RmtInf></TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-20T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><CreDtTm>2026-11-20T18:00:00</CreDtTm>
<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>
{"".join(rows)}
</Stmt></BkToCstmrStmt></Document>""".encode()


@pytest.fixture
def bank(coop_a_ready):
    with tenant_scope(coop_a_ready):
        return BankAccount.objects.create(cooperative=coop_a_ready, name="Main", iban=IBAN)


def _import(coop, content: bytes, actor=None):
    with tenant_scope(coop):
        return services.statement_import(
            cooperative=coop, content=content, file_name="statement.xml", actor=actor
        )


def _balance(coop, kind, member=None):
    with tenant_scope(coop):
        accounts = Account.objects.filter(kind=kind)
        if member is not None:
            accounts = accounts.filter(member=member)
        return sum((e.amount for e in Entry.objects.filter(account__in=accounts)), D("0.00"))


def test_generated_camt053_matches_full_partial_several_and_unknown(
    coop_a_ready, bank, alice, sabine
):
    client = make_client(alice)
    full = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)  # 119.00
    partly = issue(alice, draft(alice, client, [line(price="200.00")]), sabine)  # 238.00
    first = issue(alice, draft(alice, client, [line(price="10.00")]), sabine)  # 11.90
    second = issue(alice, draft(alice, client, [line(price="20.00")]), sabine)  # 23.80
    by_iban = issue(alice, draft(alice, client, [line(price="50.00")]), sabine)  # 59.50
    content = camt053(
        [
            {"amount": D("119.00"), "rf": full.rf_reference},
            {"amount": D("100.00"), "text": f"Teilzahlung {partly.number_text}"},
            {"amount": D("35.70"), "text": f"{first.number_text} und {second.number_text}"},
            {"amount": D("77.00"), "text": "Rechnung vom Oktober", "name": "Unbekannt AG"},
            {"amount": D("59.50"), "text": "Danke", "name": "Someone Else"},
            {"amount": D("-12.00"), "text": "Kontoführung", "name": "Bank"},
        ]
    )
    result = _import(coop_a_ready, content)
    # The IBAN rule needs an earlier payment from this IBAN for the client: the first three
    # payments came from it, so the fifth matches by IBAN and the exact open amount.
    assert (result.imported, result.duplicates, result.matched, result.unmatched) == (6, 0, 4, 1)
    with tenant_scope(coop_a_ready):
        states = {
            i.number_text: services.payment_state(i)["state"]
            for i in (full, partly, first, second, by_iban)
        }
        assert states == {
            full.number_text: "paid",
            partly.number_text: "partially_paid",
            first.number_text: "paid",
            second.number_text: "paid",
            by_iban.number_text: "paid",
        }
        methods = sorted(Allocation.objects.values_list("method", flat=True))
        assert methods == ["iban_amount", "number", "number", "number", "rf"]
        assert [t.amount for t in unmatched_queryset()] == [D("77.00")]
    assert _balance(coop_a_ready, AccountKind.BANK) == D("119.00") + D("100.00") + D("35.70") + D(
        "59.50"
    )
    again = _import(coop_a_ready, content)
    assert (again.imported, again.duplicates, again.matched) == (0, 6, 0)


def test_overlapping_statement_adds_only_the_new_entries(coop_a_ready, bank, alice, sabine):
    one = {"amount": D("10.00"), "text": "a", "ref": "A1"}
    two = {"amount": D("20.00"), "text": "b", "ref": "A2"}
    three = {"amount": D("30.00"), "text": "c", "ref": "A3"}
    _import(coop_a_ready, camt053([one, two], statement_id="S1"))
    result = _import(coop_a_ready, camt053([two, three], statement_id="S2"))
    assert (result.imported, result.duplicates) == (1, 1)
    with tenant_scope(coop_a_ready):
        assert BankTransaction.objects.count() == 3


def test_staff_undo_a_match_and_the_ledger_follows(coop_a_ready, bank, alice, sabine):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)
    _import(coop_a_ready, camt053([{"amount": D("119.00"), "rf": invoice.rf_reference}]))
    assert _balance(coop_a_ready, AccountKind.RECEIVABLES) == 0
    with tenant_scope(coop_a_ready):
        allocation = Allocation.objects.get()
        assert "RF reference" in allocation.explanation
        with pytest.raises(ApplicationError):
            services.allocation_undo(allocation=allocation, actor=sabine.user, reason="")
        services.allocation_undo(allocation=allocation, actor=sabine.user, reason="wrong client")
        assert services.payment_state(invoice)["state"] == "open"
    assert _balance(coop_a_ready, AccountKind.RECEIVABLES) == D("119.00")
    assert _balance(coop_a_ready, AccountKind.BANK) == 0


def test_a_returned_payment_undoes_its_match(coop_a_ready, bank, alice, sabine):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)
    _import(
        coop_a_ready,
        camt053([{"amount": D("119.00"), "rf": invoice.rf_reference, "e2e": "E2E-42"}]),
    )
    returned = camt053(
        [{"amount": D("-119.00"), "e2e": "E2E-42", "ref": "RET1", "date": "2026-11-23"}],
        statement_id="S2",
    ).replace(b"<TxDtls>", b"<TxDtls><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>", 1)
    _import(coop_a_ready, returned)
    with tenant_scope(coop_a_ready):
        allocation = Allocation.objects.get()
        assert allocation.undone_at and "AC04" in allocation.undo_reason
        assert services.payment_state(invoice)["state"] == "open"


def test_payment_in_another_cooperative_does_not_match(
    coop_a_ready, coop_b_ready, alice, carol, sabine, dirk
):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)
    with tenant_scope(coop_b_ready):
        BankAccount.objects.create(
            cooperative=coop_b_ready, name="B", iban="DE02120300000000202051"
        )
    result = _import(
        coop_b_ready,
        camt053(
            [{"amount": D("119.00"), "rf": invoice.rf_reference}], iban="DE02120300000000202051"
        ),
    )
    assert (result.matched, result.unmatched) == (0, 1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("camt053.001.02_oca-test-camt053_nl.xml", "NL77ABNA0574908765"),
        ("camt053.001.08_genkgo-camt053-v8.xml", "NL26VAYB8060476890"),
        ("mt940_de_sepa-mt9401_betterplace.sta", None),
        ("mt940_de_wirecard-bank_umlauts.sta", "DE49512308000000007304"),
        ("mt940_de_gv-codes.sta", "DE20123456781020304050"),
        ("mt940_de_february-30.sta", "DE20123456781020304050"),
    ],
)
def test_real_samples_import(coop_a_ready, name, expected):
    from banking import parsers

    statements = parsers.parse((SAMPLES / name).read_bytes())
    iban = expected or statements[0].account_iban
    with tenant_scope(coop_a_ready):
        BankAccount.objects.create(cooperative=coop_a_ready, name="Sample", iban=iban)
    result = _import(coop_a_ready, (SAMPLES / name).read_bytes())
    assert result.imported > 0
    assert _import(coop_a_ready, (SAMPLES / name).read_bytes()).imported == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ((SAMPLES / "camt053.001.02_gls-bank-de_fragment.xml").read_bytes(), "statement_invalid"),
        ((SAMPLES / "camt053.001.08_postfinance-ch_v2019.xml").read_bytes(), "unknown_account"),
        (
            b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><d>&x;</d>",
            "statement_invalid",
        ),
        (
            b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;'>]>"
            b"<lolz>&lol2;</lolz>",
            "statement_invalid",
        ),
        (b"<Document xmlns='urn:other'><x/></Document>", "statement_invalid"),
        (b"PK\x03\x04 not a statement", "statement_invalid"),
        (
            b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>",
            "statement_invalid",
        ),
    ],
)
def test_bad_files_are_refused_fast_and_clearly(coop_a_ready, bank, content, code):
    started = time.perf_counter()
    with pytest.raises(ApplicationError) as error:
        _import(coop_a_ready, content)
    assert time.perf_counter() - started < 1.0
    assert error.value.code == code and error.value.message
    with tenant_scope(coop_a_ready):
        assert not BankTransaction.objects.exists()


def test_oversized_file_is_refused(coop_a_ready, bank, monkeypatch):
    from banking import parsers

    monkeypatch.setattr(parsers, "MAX_BYTES", 1000)
    with pytest.raises(ApplicationError) as error:
        _import(coop_a_ready, camt053([{"amount": D("1.00"), "text": "x" * 2000}]))
    assert "MB" in error.value.message


def test_command_prints_one_line(coop_a_ready, bank, alice, sabine, tmp_path):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)
    path = tmp_path / "s.xml"
    path.write_bytes(
        camt053(
            [
                {"amount": D("119.00"), "rf": invoice.rf_reference},
                {"amount": D("5.00"), "text": "?"},
            ]
        )
    )
    out = StringIO()
    call_command("import_bank_statement", str(path), cooperative=coop_a_ready.slug, stdout=out)
    assert out.getvalue().strip() == "imported=2 duplicates=0 matched=1 unmatched=1"
    with pytest.raises(CommandError, match="XML"):
        bad = tmp_path / "bad.xml"
        bad.write_bytes(b"<unclosed")
        call_command("import_bank_statement", str(bad), cooperative=coop_a_ready.slug)


def test_admin_import_queue_and_manual_match(coop_a_ready, bank, login, alice, sabine, dirk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)
    admin = login(sabine)
    assert admin.get("/admin/banking/bankstatement/import/").status_code == 200
    upload = SimpleUploadedFile(
        "s.xml", camt053([{"amount": D("119.00"), "text": "thanks", "name": "Unknown Payer"}])
    )
    response = admin.post("/admin/banking/bankstatement/import/", {"file": upload})
    assert response.status_code == 302
    # The upload waits for a worker; its page shows the progress and refreshes itself.
    waiting = admin.get(response["Location"])
    assert b"data-refresh=" in waiting.content and b"<progress" in waiting.content
    with tenant_scope(coop_a_ready):
        job = StatementImport.objects.get()
    done = services.statement_import_run(cooperative=coop_a_ready, job_id=job.pk)
    assert (done.status, done.imported, done.unmatched, bytes(done.content)) == ("done", 1, 1, b"")
    # A second delivery of the task does the work once.
    assert services.statement_import_run(cooperative=coop_a_ready, job_id=job.pk) is None
    finished = admin.get(response["Location"])
    assert b"data-refresh=" not in finished.content
    queue = admin.get("/admin/banking/banktransaction/?queue=unmatched")
    assert queue.status_code == 200 and b"thanks" in queue.content
    with tenant_scope(coop_a_ready):
        pending = BankTransaction.objects.get()
    done = admin.post(
        "/admin/banking/banktransaction/",
        {
            "action": "match_manually",
            "_selected_action": [pending.pk],
            "apply": "1",
            "invoice_number": invoice.number_text,
            "amount": "119,00",
        },
    )
    assert done.status_code == 302
    with tenant_scope(coop_a_ready):
        assert services.payment_state(invoice)["state"] == "paid"
        allocation = Allocation.objects.get()
        assert allocation.method == "manual"
    undo = admin.post(
        "/admin/banking/allocation/",
        {"action": "undo", "_selected_action": [allocation.pk], "apply": "1", "reason": "typo"},
    )
    assert undo.status_code == 302
    with tenant_scope(coop_a_ready):
        assert services.payment_state(invoice)["state"] == "open"


def test_an_applicants_share_payment_is_matched_by_its_reference_and_can_be_undone(
    coop_a_ready, bank, sabine, login
):
    """The applicant transfers more than the 50 € for the shares, quoting the reference from
    the approval e-mail: 50 € become a share payment (the member is admitted), the rest waits in
    the queue; staff undo the match and the payment is cancelled, its posting reversed."""
    from ledger.services import share_payments_post_pending
    from members.models import Member, SharePayment
    from members.services import application_approve, member_create
    from tenancy.models import User

    user = User.objects.create_user("applicant@example.org", "x")
    applicant = member_create(
        cooperative=coop_a_ready, user=user, first_name="Ana", last_name="Pereira"
    )
    with tenant_scope(coop_a_ready):
        application_approve(member=applicant, actor=sabine.user)
        applicant.refresh_from_db()
    text = f"Anteil {applicant.share_reference[:4]} {applicant.share_reference[4:]}"
    result = _import(
        coop_a_ready, camt053([{"amount": D("80.00"), "text": text, "name": "Ana Pereira"}])
    )
    assert (result.matched, result.unmatched) == (1, 0)
    with tenant_scope(coop_a_ready):
        allocation = Allocation.objects.get()
        assert allocation.amount == D("50.00") and allocation.share_payment.amount == D("50.00")
        assert "share payment reference" in allocation.explanation
        assert Member.objects.get(pk=applicant.pk).status == Member.Status.ACTIVE
        assert [t.amount for t in unmatched_queryset()] == [D("80.00")]  # 30 € still open
        assert share_payments_post_pending(cooperative=coop_a_ready) == 1
    assert _balance(coop_a_ready, AccountKind.SHARE_CAPITAL) == D("-50.00")
    with tenant_scope(coop_a_ready):
        services.allocation_undo(allocation=allocation, actor=sabine.user, reason="Wrong person")
        payment = SharePayment.objects.get()
        assert payment.cancelled_at is not None and "Wrong person" in payment.cancel_reason
        assert share_payments_post_pending(cooperative=coop_a_ready) == 0
    assert _balance(coop_a_ready, AccountKind.SHARE_CAPITAL) == D("0.00")
    assert _balance(coop_a_ready, AccountKind.BANK) == D("0.00")
    # Staff see the cancellation where they see share payments.
    listing = login(sabine).get("/admin/members/sharepayment/")
    assert b"Wrong person" in listing.content


def _valid(content: bytes, xsd: str) -> None:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(Path("/work/shared/reference/xsd") / xsd)))
    schema.assertValid(etree.fromstring(content))


def test_an_overpayment_is_refunded_in_a_pain001_file_and_settled_by_the_statement(
    coop_a_ready, bank, alice, sabine
):
    from banking.models import Refund

    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)  # 119.00
    _import(coop_a_ready, camt053([{"amount": D("150.00"), "rf": invoice.rf_reference}]))
    with tenant_scope(coop_a_ready):
        payment = BankTransaction.objects.get()
        assert services.payment_state(invoice)["state"] == "paid"
        assert [t.amount for t in unmatched_queryset()] == [D("150.00")]  # 31 € unapplied
        with pytest.raises(ApplicationError, match=r"31\.00"):
            services.refund_create(
                bank_transaction=payment,
                amount=D("31.01"),
                name="Atelier Nord GmbH",
                iban="DE02120300000000202051",
                reason="Overpayment",
                actor=sabine.user,
            )
        with pytest.raises(ApplicationError) as bad_iban:
            services.refund_create(
                bank_transaction=payment,
                amount=D("31.00"),
                name="Atelier Nord GmbH",
                iban="DE02120300000000202052",
                reason="Overpayment",
                actor=sabine.user,
            )
        assert bad_iban.value.code == "iban"
        refund = services.refund_create(
            bank_transaction=payment,
            amount=D("31.00"),
            name="Atelier Nord GmbH",
            iban="DE02 1203 0000 0000 2020 51",
            reason=f"Overpayment {invoice.number_text}",
            actor=sabine.user,
        )
        assert not unmatched_queryset().exists()
        payment_file = services.refunds_file_create(
            account=bank, execution_date=timezone.localdate(), actor=sabine.user
        )
        with pytest.raises(ApplicationError):  # nothing waits any more
            services.refunds_file_create(
                account=bank, execution_date=timezone.localdate(), actor=None
            )
    content = bytes(payment_file.content)
    _valid(content, "pain.001.001.09.xsd")
    _valid(content, "EPC132-08_2025_V1.0_pain.001.001.09.xsd")
    assert b'<InstdAmt Ccy="EUR">31.00</InstdAmt>' in content
    assert refund.end_to_end_id.encode() in content
    assert (payment_file.transactions, payment_file.total) == (1, D("31.00"))
    # The next statement shows the transfer leaving: the refund is settled.
    _import(
        coop_a_ready,
        camt053(
            [{"amount": D("-31.00"), "e2e": refund.end_to_end_id, "text": "Overpayment"}],
            statement_id="STMT-2",
        ),
    )
    with tenant_scope(coop_a_ready):
        assert Refund.objects.get().paid_by.amount == D("-31.00")


def test_bank_charges_are_posted_as_the_cooperatives_expense(coop_a_ready, bank):
    _import(
        coop_a_ready,
        camt053(
            [
                {"amount": D("-12.50"), "code": ("ACMT", "MDOP", "CHRG"), "text": "Kontoführung"},
                {"amount": D("-99.00"), "text": "Miete", "name": "Vermieter"},
            ]
        ),
    )
    assert _balance(coop_a_ready, AccountKind.BANK_CHARGES) == D("12.50")
    assert _balance(coop_a_ready, AccountKind.BANK) == D("-12.50")


def test_refunds_and_payment_files_in_the_admin_stay_in_their_cooperative(
    coop_a_ready, coop_b_ready, bank, login, alice, sabine, dirk
):
    from banking.models import PaymentFile, Refund

    _import(coop_a_ready, camt053([{"amount": D("40.00"), "text": "Spende?"}]))
    with tenant_scope(coop_a_ready):
        payment = BankTransaction.objects.get()
    browser = login(sabine)
    page = browser.post(
        "/admin/banking/banktransaction/",
        {"action": "refund_rest", "_selected_action": [payment.pk]},
    )
    assert page.status_code == 200 and b"DE02120300000000202051" in page.content
    done = browser.post(
        "/admin/banking/banktransaction/",
        {
            "action": "refund_rest",
            "_selected_action": [payment.pk],
            "apply": "1",
            "amount": "40.00",
            "name": "Atelier Nord GmbH",
            "iban": "DE02120300000000202051",
            "reason": "Not for us",
        },
    )
    assert done.status_code == 302
    with tenant_scope(coop_a_ready):
        refund = Refund.objects.get()
    created = browser.post(
        "/admin/banking/refund/",
        {
            "action": "create_payment_file",
            "_selected_action": [refund.pk],
            "apply": "1",
            "account": bank.pk,
            "execution_date": timezone.localdate().isoformat(),
        },
    )
    assert created.status_code == 302
    with tenant_scope(coop_a_ready):
        payment_file = PaymentFile.objects.get()
    url = f"/admin/banking/paymentfile/{payment_file.pk}/download/"
    assert browser.get(url).content.startswith(b"<?xml")
    other = login(dirk)
    assert other.get(url).status_code == 404
    assert other.get(f"/admin/banking/refund/{refund.pk}/change/").status_code in (302, 404)


def test_a_minimum_fee_per_invoice_is_charged_once_over_part_payments(
    coop_a_ready, bank, alice, sabine
):
    from ledger.models import FeeRule

    with tenant_scope(coop_a_ready):
        FeeRule.objects.update(floor_amount=D("25.00"), floor_period="invoice")
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line(price="100.00")]), sabine)  # 119.00
    half = [{"amount": D("59.50"), "rf": invoice.rf_reference, "ref": f"P{n}"} for n in (1, 2)]
    _import(coop_a_ready, camt053(half))
    with tenant_scope(coop_a_ready):
        assert services.payment_state(invoice)["state"] == "paid"
    # 9 % of 100.00 is 9.00, below the minimum: 25.00 once, not once per part.
    assert _balance(coop_a_ready, AccountKind.FEE_INCOME) == D("-25.00")
    assert _balance(coop_a_ready, AccountKind.MEMBER_BUDGET, alice.member) == D("-75.00")  # credit


def test_a_yearly_fee_cap_reached_within_one_statement_is_respected(
    coop_a_ready, bank, alice, sabine
):
    from ledger.models import FeeRule

    with tenant_scope(coop_a_ready):
        FeeRule.objects.update(cap_per_year=D("20.00"), floor_amount=None)
        percentage = FeeRule.objects.get(category="").percentage
    client = make_client(alice)
    invoices = [
        issue(alice, draft(alice, client, [line(price="100.00")]), sabine) for _ in range(3)
    ]
    _import(
        coop_a_ready,
        camt053(
            [
                {"amount": D("119.00"), "rf": i.rf_reference, "ref": f"C{n}"}
                for n, i in enumerate(invoices)
            ]
        ),
    )
    # Each payment owes `percentage` % of 100.00; the third is cut to what the cap leaves.
    assert percentage * 2 < 20
    assert _balance(coop_a_ready, AccountKind.FEE_INCOME) == D("-20.00")


def _queries_for_import(coop, alice, sabine, count: int, statement_id: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = make_client(alice)
    invoices = [
        issue(alice, draft(alice, client, [line(price="10.00")]), sabine) for _ in range(count)
    ]
    content = camt053(
        [
            {"amount": D("11.90"), "rf": i.rf_reference, "ref": f"{statement_id}-{n}"}
            for n, i in enumerate(invoices)
        ]
        + [
            {"amount": D("5.00"), "text": "unknown", "ref": f"{statement_id}-u{n}"}
            for n in range(count)
        ],
        statement_id=statement_id,
    )
    with CaptureQueriesContext(connection) as captured:
        result = _import(coop, content)
    assert result.matched == count
    return len(captured)


def test_a_statements_payments_cost_the_same_queries_however_many(
    coop_a_ready, bank, alice, sabine
):
    # Query budget: matching and posting run in batches, not per payment. (The first import
    # creates the member's pending account; the two measured ones do not.)
    _queries_for_import(coop_a_ready, alice, sabine, 1, "Q0")
    few = _queries_for_import(coop_a_ready, alice, sabine, 2, "Q1")
    many = _queries_for_import(coop_a_ready, alice, sabine, 12, "Q2")
    assert many == few
    assert many <= 40
