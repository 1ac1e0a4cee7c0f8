"""A cooperative at full scale for benchmarks and load tests (`python manage.py seed_scale`).

People and master data are written by set-based SQL (`INSERT … SELECT` over generate_series):
users, memberships, members with employment data, their budget and pending-revenue accounts,
and clients. The documents are a year of business: every invoice issued on its day, most paid
by a bank transfer on a statement and matched, a tenth left unpaid past the due date. Their
content, numbers, fingerprints and ledger postings come from the same functions the application
uses (VAT, numbering, RF references, the invoice fingerprint, the fee split, the ledger's hash),
and the rows go to PostgreSQL with `COPY`, a day at a time, inside one transaction — so a
failure leaves nothing behind, and `verify_ledger` holds afterwards.

The one shortcut: generated documents get no audit-history rows, and the row triggers that
guard single writes (insert as issued, balance per transaction, history) are off for the
duration of the transaction — the rows are built balanced and complete instead (ADR 0028)."""

from __future__ import annotations

import hashlib
import io
import json
import queue
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.references import rf_reference
from invoicing import vat
from invoicing.invoice_services import _party_buyer, _party_seller, fingerprint
from invoicing.numbering import number_format
from ledger.fees import split_revenue
from ledger.models import AccountKind, FeeRule
from ledger.services import _terms, canonical_text

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
GENESIS = "0" * 64
DAYS = 365
# Every tenth invoice is left unpaid; the rest are paid between three days before and three
# days after their due date (when that day has come).
UNPAID_EVERY = 10

# Members as the payroll needs them: tax classes 1 and 3–5 in turn, a third with church tax, a
# quarter with children, all with the same insurer (added by the caller).
MEMBER_SQL = [
    """INSERT INTO tenancy_user (password, is_superuser, email, full_name, language, is_active,
         is_staff, date_joined)
       SELECT %(password)s, false, %(prefix)s || g || '@' || %(domain)s, 'Member ' || g, 'de',
         true, false, now()
       FROM generate_series(1, %(count)s) g""",
    """INSERT INTO members_member (cooperative_id, user_id, member_number, status, first_name,
         last_name, street, postal_code, city, country, nationality, phone, languages,
         permit_type, profession, activity_description, declaration_text, declaration_sha256,
         eligibility, eligibility_passed, info_requested, shares, share_price, share_reference,
         applied_at, joined_on, fee_category)
       SELECT %(coop)s, u.id, row_number() OVER (ORDER BY u.id), 'active', 'Member',
         substr(u.full_name, 8), 'Weg 1', '10115', 'Berlin', 'DE', 'DE', '', '', '', 'Design',
         '', '', '', '[]', true, '', 1, 50, '', now(), %(joined)s, ''
       FROM tenancy_user u
       WHERE u.email LIKE %(prefix)s || '%%@' || %(domain)s""",
    """INSERT INTO members_employmentdata (cooperative_id, member_id, tax_id,
         social_insurance_number, health_insurer, health_insurer_additional_rate, tax_class,
         church_tax, child_allowances, number_of_children, childless, iban, account_holder,
         updated_at)
       SELECT %(coop)s, m.id, '', '', %(insurer)s, 2.9, (ARRAY[1, 3, 4, 5])[1 + m.id %% 4],
         m.id %% 3 = 0, CASE WHEN m.id %% 4 = 0 THEN 1 ELSE 0 END,
         CASE WHEN m.id %% 4 = 0 THEN 2 ELSE 0 END, m.id %% 4 <> 0,
         'DE02120300000000202051', '', now()
       FROM members_member m WHERE m.cooperative_id = %(coop)s""",
    """INSERT INTO ledger_account (cooperative_id, kind, nature, member_id, name, skr03, skr04,
         balance)
       SELECT %(coop)s, k.kind, 'liability', m.id, k.label || ' ' || m.member_number, '', '', 0
       FROM members_member m
       CROSS JOIN unnest(%(kinds)s::text[], %(labels)s::text[]) AS k(kind, label)
       WHERE m.cooperative_id = %(coop)s""",
]


def members_insert(
    cursor,
    *,
    cooperative_id: int,
    count: int,
    prefix: str,
    domain: str,
    joined: date,
    insurer: str,
    kinds: tuple[str, ...] = (AccountKind.MEMBER_BUDGET,),
    password: str = "!",  # noqa: S107 - an unusable password, not a secret
) -> None:
    """`count` active members with employment data and their accounts, as the cooperative
    (row-level security is on for the caller's connection)."""
    labels = {AccountKind.MEMBER_BUDGET: "Budget", AccountKind.MEMBER_PENDING: "Pending"}
    params = {
        "coop": cooperative_id,
        "count": count,
        "prefix": prefix,
        "domain": domain,
        "joined": joined,
        "insurer": insurer,
        "password": password,
        "kinds": list(kinds),
        "labels": [labels[k] for k in kinds],
    }
    for sql in MEMBER_SQL:
        cursor.execute(sql, params)


def ledger_close(cursor, *, cooperative_id: int, sequence: int, head: str) -> None:
    """After a set-based load: every account's balance from its entries, and the chain head at
    the last transaction written."""
    cursor.execute(
        """UPDATE ledger_account a SET balance = s.total
           FROM (SELECT account_id, sum(amount) AS total FROM ledger_entry
                 WHERE cooperative_id = %s GROUP BY account_id) s
           WHERE a.id = s.account_id""",
        [cooperative_id],
    )
    cursor.execute(
        """INSERT INTO ledger_chainhead (cooperative_id, last_sequence, last_hash)
           VALUES (%s, %s, %s)
           ON CONFLICT ON CONSTRAINT chainhead_one_per_coop
           DO UPDATE SET last_sequence = EXCLUDED.last_sequence, last_hash = EXCLUDED.last_hash""",
        [cooperative_id, sequence, head],
    )


@dataclass
class ScaleResult:
    members: int = 0
    clients: int = 0
    invoices: int = 0
    paid: int = 0
    overdue: int = 0
    transactions: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"members={self.members} clients={self.clients} invoices={self.invoices} "
            f"paid={self.paid} overdue={self.overdue} transactions={self.transactions} "
            f"seconds={self.seconds:.1f}"
        )


class _Copy:
    """Rows of one table in COPY text format, collected for a day."""

    def __init__(self, table: str, columns: list[str]):
        self.table, self.columns = table, columns
        self.buffer = io.StringIO()
        self.rows = 0

    def add(self, *values) -> None:
        self.buffer.write("\t".join(_text(v) for v in values))
        self.buffer.write("\n")
        self.rows += 1

    def take(self) -> tuple[str, list[str], str] | None:
        if not self.rows:
            return None
        taken = (self.table, self.columns, self.buffer.getvalue())
        self.buffer, self.rows = io.StringIO(), 0
        return taken


class _Sender(threading.Thread):
    """Writes the days' rows with COPY while the main thread builds the next day: PostgreSQL
    and Python each keep a core busy."""

    def __init__(self, cursor):
        super().__init__(name="seed-scale-sender", daemon=True)
        self.cursor = cursor
        self.days: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.seconds = 0.0

    def run(self) -> None:
        while (day := self.days.get()) is not None:
            if self.error is not None:
                continue  # drain: the main thread raises the error
            started = time.perf_counter()
            try:
                for table, columns, rows in day:
                    with self.cursor.copy(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                    ) as copy:
                        copy.write(rows)
            except BaseException as exc:
                self.error = exc
            self.seconds += time.perf_counter() - started

    def put(self, day: list) -> None:
        if self.error is not None:
            raise self.error
        self.days.put(day)

    def finish(self) -> float:
        self.days.put(None)
        self.join()
        if self.error is not None:
            raise self.error
        return self.seconds


def _text(value) -> str:
    """A value in COPY's text format (backslash, tab and newlines escaped)."""
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    if type(value) is not str:
        return str(value)  # numbers and dates hold none of the special characters
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        return value.replace("\r", "")
    return value


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_TABLES = {
    "invoice": (
        "invoicing_invoice",
        [
            "id", "cooperative_id", "member_id", "client_id", "kind", "status", "reason",
            "supply_date", "payment_terms_days", "buyer_reference", "vat_note", "note",
            "currency", "language", "series", "year", "number", "number_text", "issue_date",
            "due_date", "seller", "buyer", "member_name", "net_total", "vat_total",
            "gross_total", "vat_breakdown", "small_amount", "rf_reference", "previous_hash",
            "hash", "created_at", "submitted_at", "returned_reason", "issued_at",
            "auto_issued",
        ],
    ),
    "line": (
        "invoicing_invoiceline",
        [
            "cooperative_id", "invoice_id", "position", "description", "detail", "quantity",
            "unit", "unit_price", "vat_category", "vat_rate", "net_amount",
        ],
    ),
    "bank": (
        "banking_banktransaction",
        [
            "id", "cooperative_id", "account_id", "statement_id", "booking_date", "value_date",
            "amount", "currency", "counterparty_name", "counterparty_iban", "remittance",
            "creditor_reference", "end_to_end_id", "bank_reference", "code", "is_return",
            "return_reason", "dedupe_key", "created_at",
        ],
    ),
    "allocation": (
        "banking_allocation",
        [
            "id", "cooperative_id", "transaction_id", "invoice_id", "amount", "method",
            "explanation", "created_at", "undo_reason",
        ],
    ),
    "tx": (
        "ledger_transaction",
        [
            "id", "cooperative_id", "sequence", "booking_date", "posted_at", "description",
            "source_type", "source_id", "idempotency_key", "previous_hash", "hash",
        ],
    ),
    "entry": (
        "ledger_entry",
        ["cooperative_id", "transaction_id", "account_id", "amount", "text"],
    ),
}  # fmt: skip

# Row triggers that guard single writes, off inside the seeding transaction (DDL is
# transactional: a failure leaves them on). Foreign keys and check constraints stay on.
_GUARDED = [
    "invoicing_invoice",
    "invoicing_invoiceline",
    "banking_banktransaction",
    "banking_allocation",
    "ledger_transaction",
    "ledger_entry",
]


def _ids(cursor, table: str, count: int) -> range:
    """`count` consecutive ids from the table's sequence. The seeding transaction holds the
    table's trigger lock (SHARE ROW EXCLUSIVE, taken by DISABLE TRIGGER), so no other insert
    draws from the sequence in between."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s::regclass)", [sequence])
    first = cursor.fetchone()[0]
    if count > 1:
        cursor.execute("SELECT setval(%s::regclass, %s)", [sequence, first + count - 1])
    return range(first, first + count)


def scale_seed(
    *,
    cooperative,
    members: int,
    invoices: int,
    password: str,
    today: date | None = None,
    progress=None,
) -> ScaleResult:
    """Fill `cooperative` (new, with its system accounts, fee rule, invoicing settings and one
    bank account) with `members` members, who log in with `password`, and a year of `invoices`
    invoices up to `today`."""
    from django.contrib.auth.hashers import make_password

    from banking.models import BankAccount
    from invoicing.models import InvoicingSettings
    from ledger.models import Account
    from tenancy.scope import tenant_scope

    started = time.perf_counter()
    today = today or timezone.localdate()
    first_day = today - timedelta(days=DAYS - 1)
    coop = cooperative.pk
    with tenant_scope(cooperative):
        rules = InvoicingSettings.objects.get(cooperative=cooperative)
        fee_rule = FeeRule.objects.get(cooperative=cooperative, category="")
        bank_account = BankAccount.objects.filter(cooperative=cooperative).order_by("pk").first()
        system = {
            a.kind: a.pk
            for a in Account.objects.filter(cooperative=cooperative, member__isnull=True)
        }
    terms = _terms(fee_rule)
    seller = _party_seller(cooperative, rules)
    result = ScaleResult(members=members, invoices=invoices)
    owner = connections["owner"]
    with transaction.atomic(using="owner"), owner.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own, for COPY
        cursor.execute(
            "SELECT set_config(%s, %s, true)", [settings.SMARTCOOP_RLS_SETTING, str(coop)]
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in _GUARDED:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            # PostgreSQL refuses COPY into a table under row-level security; every row built
            # here carries this cooperative, and FORCE is back on before commit.
            cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        # Checked row by row, foreign keys cost two thirds of the load; dropped here and added
        # again at the end, each is checked by one join over the table (PostgreSQL's advice
        # for populating a database). Nobody sees the gap: the transaction holds the tables.
        cursor.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
               FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])""",
            [_GUARDED],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        members_insert(
            cursor,
            cooperative_id=coop,
            count=members,
            prefix="member",
            domain=f"{cooperative.slug}.scale.example",
            joined=first_day - timedelta(days=30),
            insurer="Scale BKK",
            kinds=(AccountKind.MEMBER_BUDGET, AccountKind.MEMBER_PENDING),
            # One hash for all: hashing a password 100,000 times would take hours.
            password=make_password(password),
        )
        cursor.execute(
            """INSERT INTO tenancy_membership (cooperative_id, user_id, role, is_active,
                 created_at)
               SELECT %(coop)s, m.user_id, 'member', true, now()
               FROM members_member m WHERE m.cooperative_id = %(coop)s""",
            {"coop": coop},
        )
        # A verified address each: allauth asks for one at login.
        cursor.execute(
            """INSERT INTO account_emailaddress (user_id, email, verified, "primary")
               SELECT u.id, u.email, true, true
               FROM members_member m JOIN tenancy_user u ON u.id = m.user_id
               WHERE m.cooperative_id = %(coop)s""",
            {"coop": coop},
        )
        result.clients = max(1, invoices // 20)
        cursor.execute(
            """INSERT INTO invoicing_client (cooperative_id, kind, name, contact_person, street,
                 postal_code, city, country, vat_id, vat_id_check_result, leitweg_id,
                 invoice_email, language, payment_terms_days, created_at)
               SELECT %(coop)s, CASE WHEN g %% 5 = 0 THEN 'consumer' ELSE 'business' END,
                 CASE WHEN g %% 5 = 0 THEN 'Client ' || g ELSE 'Client ' || g || ' GmbH' END,
                 '', 'Kai ' || g, '20457', 'Hamburg', 'DE', '', '', '',
                 'ap' || g || '@client.scale.example', CASE WHEN g %% 3 = 0 THEN 'en' ELSE 'de' END,
                 CASE WHEN g %% 4 = 0 THEN 30 ELSE 14 END, now()
               FROM generate_series(1, %(count)s) g""",
            {"coop": coop, "count": result.clients},
        )
        cursor.execute("ANALYZE tenancy_user, members_member, ledger_account, invoicing_client")
        result.timings["people"] = time.perf_counter() - started
        cursor.execute(
            """SELECT m.id, m.first_name || ' ' || m.last_name, b.id, p.id
               FROM members_member m
               JOIN ledger_account b ON b.member_id = m.id AND b.kind = 'member_budget'
               JOIN ledger_account p ON p.member_id = m.id AND p.kind = 'member_pending'
               WHERE m.cooperative_id = %s ORDER BY m.member_number""",
            [coop],
        )
        people = cursor.fetchall()
        cursor.execute(
            """SELECT id, kind, name, contact_person, street, postal_code, city, country, vat_id,
                 leitweg_id, invoice_email, language, payment_terms_days
               FROM invoicing_client WHERE cooperative_id = %s ORDER BY id""",
            [coop],
        )
        clients = [
            (row[0], row[11], row[12], buyer, _json(buyer), row[2])
            for row in cursor.fetchall()
            for buyer in [_party_buyer(_client(row))]
        ]
        plan = _plan(invoices, first_day, today, [c[2] for c in clients])
        result.paid = sum(1 for p in plan if p[3] is not None)
        result.overdue = sum(1 for p in plan if p[3] is None and p[2] < today)
        invoice_ids = _ids(cursor, "invoicing_invoice", invoices)
        bank_ids = _ids(cursor, "banking_banktransaction", result.paid)
        allocation_ids = _ids(cursor, "banking_allocation", result.paid)
        tx_ids = _ids(cursor, "ledger_transaction", invoices + result.paid)
        cursor.execute(
            """INSERT INTO banking_bankstatement (cooperative_id, account_id, format,
                 statement_id, file_name, sha256, entries_in_file, entries_new, imported_at)
               SELECT %s, %s, 'camt053', 'SCALE-' || to_char(d, 'YYYY-MM-DD'), 'scale.xml',
                 md5(d::text), 0, 0, now()
               FROM generate_series(%s::date, %s::date, interval '1 day') d
               RETURNING id, statement_id""",
            [coop, bank_account.pk, first_day, today],
        )
        statements = {
            date.fromisoformat(name.removeprefix("SCALE-")): pk for pk, name in cursor.fetchall()
        }
        writer = _Writer(
            coop=coop,
            system=system,
            seller=seller,
            series=rules.number_series,
            terms=terms,
            fee_text=_("fee %(p)s %%") % {"p": fee_rule.percentage},
            bank_account=bank_account,
            statements=statements,
        )
        by_issue: dict[date, list[int]] = defaultdict(list)
        by_payment: dict[date, list[int]] = defaultdict(list)
        for g, (issue, _terms_days, _due, paid) in enumerate(plan):
            by_issue[issue].append(g)
            if paid is not None:
                by_payment[paid].append(g)
        ids = iter(invoice_ids)
        bank, allocations, txs = iter(bank_ids), iter(allocation_ids), iter(tx_ids)
        sender = _Sender(cursor)
        sender.start()
        # The sender needs the GIL back after each of its statements; at the default
        # 5 ms switch interval it would wait longer for it than PostgreSQL takes to insert.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0002)
        # The sender must be done with the connection before the transaction ends, whatever
        # happens here.
        try:
            with translation.override(settings.LANGUAGE_CODE):
                day = first_day
                while day <= today:
                    for g in by_issue.get(day, []):
                        person = people[g % len(people)]
                        client = clients[g % len(clients)]
                        writer.issue(g, next(ids), person, client, plan[g], next(txs))
                    for g in by_payment.get(day, []):
                        writer.pay(g, next(bank), next(allocations), next(txs), day)
                    sender.put(writer.take())
                    if progress is not None:
                        progress(day)
                    day += timedelta(days=1)
        finally:
            sys.setswitchinterval(switch_interval)
            result.timings["documents_sql"] = sender.finish()
        result.transactions = writer.sequence
        result.timings["documents"] = time.perf_counter() - started - result.timings["people"]
        ledger_close(cursor, cooperative_id=coop, sequence=writer.sequence, head=writer.previous)
        for (series, year), (number, last_hash) in writer.counters.items():
            cursor.execute(
                """INSERT INTO invoicing_numbercounter (cooperative_id, series, year,
                     last_number, last_hash)
                   VALUES (%s, %s, %s, %s, %s)
                   ON CONFLICT ON CONSTRAINT numbercounter_unique
                   DO UPDATE SET last_number = EXCLUDED.last_number,
                     last_hash = EXCLUDED.last_hash""",
                [coop, series, year, number, last_hash],
            )
        for table in _GUARDED:
            cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        # Checked under row-level security again: this cooperative's rows against its own
        # parents (the other cooperatives' rows were checked when they were written).
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in _GUARDED:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        result.timings["checks"] = (
            time.perf_counter() - started - result.timings["people"] - result.timings["documents"]
        )
    with owner.cursor() as cursor:
        # As autovacuum would after a day's work: the planner must know the new rows.
        cursor.execute(f"ANALYZE {', '.join(_GUARDED)}, banking_bankstatement, ledger_account")
    result.seconds = time.perf_counter() - started
    return result


def _client(row) -> SimpleNamespace:
    names = [
        "pk", "kind", "name", "contact_person", "street", "postal_code", "city", "country",
        "vat_id", "leitweg_id", "invoice_email", "language", "payment_terms_days",
    ]  # fmt: skip
    return SimpleNamespace(**dict(zip(names, row, strict=True)))


def _plan(
    count: int, first_day: date, today: date, client_terms: list[int]
) -> list[tuple[date, int, date, date | None]]:
    """(issue date, payment terms, due date, paid on) per invoice, spread evenly over the
    year in issue order; invoice g goes to client g mod the number of clients."""
    plan = []
    for g in range(count):
        issue = first_day + timedelta(days=g * DAYS // count)
        terms = client_terms[g % len(client_terms)]
        due = issue + timedelta(days=terms)
        paid = None
        if g % UNPAID_EVERY != UNPAID_EVERY - 1:
            paid = due + timedelta(days=g % 7 - 3)
            if paid > today:
                paid = None
        plan.append((issue, terms, due, paid))
    return plan


class _Writer:
    """Builds one day's rows: invoice, line and issue posting; bank entry, allocation and
    payment posting."""

    def __init__(self, *, coop, system, seller, series, terms, fee_text, bank_account, statements):
        self.coop, self.system = coop, system
        self.seller, self.series, self.terms, self.fee_text = seller, series, terms, fee_text
        self.bank_account, self.statements = bank_account, statements
        self.copies = {name: _Copy(*spec) for name, spec in _TABLES.items()}
        self.sequence, self.previous = 0, GENESIS
        self.counters: dict[tuple[str, int], tuple[int, str]] = {}
        # What a payment needs of its invoice: id, number, gross, net, member, RF, client name.
        self.issued: dict[int, tuple] = {}
        self.now = timezone.now()
        self.seller_json = _json(seller)
        # Translated once (the language is fixed for the run), filled in per document.
        self.texts = {
            "pending": _("net revenue, awaiting payment"),
            "net": _("net revenue"),
            "budget": _("to the budget"),
            "issued": _("Invoice %(number)s issued"),
            "paid": _("Payment for invoice %(number)s"),
            "vat": _("VAT %(r)s %%"),
        }

    def _post(self, tx_id, booking_date, description, source_type, source_id, key, entries):
        self.sequence += 1
        canonical = canonical_text(
            cooperative_id=self.coop,
            sequence=self.sequence,
            booking_date=booking_date,
            description=description,
            source_type=source_type,
            source_id=source_id,
            reverses_id=None,
            actor_id=None,
            entries=entries,
        )
        digest = hashlib.sha256((self.previous + canonical).encode()).hexdigest()
        self.copies["tx"].add(
            tx_id, self.coop, self.sequence, booking_date, self.now, description, source_type,
            source_id, key, self.previous, digest,
        )  # fmt: skip
        self.previous = digest
        for account_id, amount, text in entries:
            self.copies["entry"].add(self.coop, tx_id, account_id, amount, text)

    def issue(self, g, invoice_id, person, client, plan, tx_id) -> None:
        issue_date, terms, due, _paid = plan
        member_id, member_name, _budget, pending = person
        client_id, language, _client_terms, buyer, buyer_json, client_name = client
        quantity = Decimal(1 + g % 40).quantize(Decimal("0.001"))  # as stored (3 places)
        price = Decimal(45 + g % 60).quantize(CENT)
        rate = Decimal("19.00")
        totals = vat.compute([vat.LineInput(quantity, price, "S", rate)])
        number_key = (self.series, issue_date.year)
        number, last_hash = self.counters.get(number_key, (0, ""))
        number += 1
        number_text = number_format(series=self.series, year=issue_date.year, number=number)
        breakdown = [
            {"category": grp.category, "rate": str(grp.rate), "net": str(grp.net),
             "vat": str(grp.vat)}
            for grp in totals.groups
        ]  # fmt: skip
        invoice = SimpleNamespace(
            cooperative_id=self.coop,
            number_text=number_text,
            kind="invoice",
            corrects_id=None,
            issue_date=issue_date,
            due_date=due,
            supply_date=issue_date,
            period_start=None,
            period_end=None,
            seller=self.seller,
            buyer=buyer,
            member_name=member_name,
            net_total=totals.net,
            vat_total=totals.vat,
            gross_total=totals.gross,
            vat_breakdown=breakdown,
            rf_reference=rf_reference(f"{self.series}{issue_date.year}{number:05d}"),
            note="",
            vat_note="",
            reason="",
            buyer_reference="",
            currency="EUR",
            payment_terms_days=terms,
            small_amount=totals.is_small_amount,
        )
        line = SimpleNamespace(
            position=1,
            description=f"Project work {g}",
            detail="",
            quantity=quantity,
            unit="HUR",
            unit_price=price,
            vat_category="S",
            vat_rate=rate,
            net_amount=totals.line_nets[0],
        )
        digest = fingerprint(invoice=invoice, lines=[line], previous_hash=last_hash)
        self.counters[number_key] = (number, digest)
        self.copies["invoice"].add(
            invoice_id, self.coop, member_id, client_id, "invoice", "issued", "", issue_date,
            terms, "", "", "", "EUR", language, self.series, issue_date.year, number,
            number_text, issue_date, due, self.seller_json, buyer_json, member_name,
            totals.net, totals.vat, totals.gross, _json(breakdown), invoice.small_amount,
            invoice.rf_reference, last_hash, digest, self.now, self.now, "", self.now, False,
        )  # fmt: skip
        self.copies["line"].add(
            self.coop, invoice_id, 1, line.description, "", quantity, "HUR", price, "S", rate,
            line.net_amount,
        )  # fmt: skip
        entries = [(self.system[AccountKind.RECEIVABLES], totals.gross, number_text)]
        for grp in totals.groups:
            entries.append(
                (self.system[AccountKind.OUTPUT_VAT_19], -grp.vat, self.texts["vat"] % {"r": rate})
            )
        entries.append((pending, -totals.net, self.texts["pending"]))
        self._post(
            tx_id,
            issue_date,
            self.texts["issued"] % {"number": number_text},
            "invoice",
            str(invoice_id),
            f"invoice-issue:{invoice_id}",
            entries,
        )
        self.issued[g] = (
            invoice_id, number_text, totals.gross, totals.net, person, invoice.rf_reference,
            client_name,
        )  # fmt: skip

    def pay(self, g, bank_id, allocation_id, tx_id, day) -> None:
        invoice_id, number_text, gross, net, person, reference, client_name = self.issued.pop(g)
        _member_id, _name, budget, pending = person
        reference_text = f"ref|SCALE-{bank_id}|NOTPROVIDED|{gross}"
        key = hashlib.sha256(f"{self.bank_account.iban}|{reference_text}|1".encode()).hexdigest()
        self.copies["bank"].add(
            bank_id, self.coop, self.bank_account.pk, self.statements[day], day, day, gross,
            "EUR", client_name, "DE02120300000000202051", f"Invoice {number_text}", reference,
            "NOTPROVIDED", f"SCALE-{bank_id}", "PMNT/RCDT/ESCT", False, "", key, self.now,
        )  # fmt: skip
        self.copies["allocation"].add(
            allocation_id, self.coop, bank_id, invoice_id, gross, "rf",
            f"RF reference {reference}", self.now, "",
        )  # fmt: skip
        split = split_revenue(net, self.terms)
        entries = [
            (self.system[AccountKind.BANK], gross, number_text),
            (self.system[AccountKind.RECEIVABLES], -gross, number_text),
            (pending, split.net, self.texts["net"]),
        ]
        if split.fee:
            entries.append((self.system[AccountKind.FEE_INCOME], -split.fee, self.fee_text))
        budget_share = split.net - split.fee - split.guarantee
        if split.guarantee:
            raise ValueError("the scale data set uses a fee rule without guarantee share")
        if budget_share:
            entries.append((budget, -budget_share, self.texts["budget"]))
        self._post(
            tx_id,
            day,
            self.texts["paid"] % {"number": number_text},
            "payment",
            f"allocation-{allocation_id}",
            f"payment:allocation-{allocation_id}",
            entries,
        )

    def take(self) -> list:
        """The day's rows, parents before children (foreign keys)."""
        names = ("invoice", "line", "bank", "allocation", "tx", "entry")
        return [taken for name in names if (taken := self.copies[name].take()) is not None]


def scale_cooperative_create(*, slug: str, password: str) -> tuple:
    """The cooperative the data set goes into, set up through the services as staff would:
    accounts, DATEV numbers, a 9 % fee on payment, invoicing contact, bank account, the
    members' insurer, and a staff member and an accountant who can log in with `password`.
    Returns (cooperative, [(email, role)])."""
    from allauth.account.models import EmailAddress

    from banking.models import BankAccount
    from invoicing.models import InvoicingSettings
    from ledger import services as ledger_services
    from ledger.models import LedgerSettings
    from payroll.models import HealthInsurer, HealthInsurerRate
    from tenancy import services as tenancy_services
    from tenancy.models import Role
    from tenancy.scope import tenant_scope

    with transaction.atomic():
        cooperative = tenancy_services.cooperative_create(
            slug=slug,
            legal_name=f"{slug.replace('-', ' ').title()} eG",
            street="Skalenweg 1",
            postal_code="10115",
            city="Berlin",
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
            vat_id="DE136695976",
            tax_number="1181508150",
            register_court="Amtsgericht Charlottenburg",
            register_number="GnR 1000 B",
        )
        logins = []
        with tenant_scope(cooperative):
            ledger_services.accounts_ensure(cooperative=cooperative)
            LedgerSettings.objects.update_or_create(
                cooperative=cooperative,
                defaults={"datev_consultant_number": 29098, "datev_client_number": 10009},
            )
            FeeRule.objects.create(cooperative=cooperative, percentage=Decimal("9.00"))
            InvoicingSettings.objects.create(
                cooperative=cooperative,
                contact_name="Invoicing desk",
                contact_phone="+49 30 1234567",
                contact_email=f"invoicing@{slug}.scale.example",
            )
            BankAccount.objects.create(
                cooperative=cooperative, name="Main account", iban=cooperative.iban
            )
            insurer = HealthInsurer.objects.create(
                cooperative=cooperative, name="Scale BKK", company_number="12345678"
            )
            HealthInsurerRate.objects.create(
                cooperative=cooperative,
                insurer=insurer,
                valid_from=date(2026, 1, 1),
                additional_rate=Decimal("2.90"),
                u1_rate=Decimal("1.10"),
                u2_rate=Decimal("0.24"),
            )
        for local, name, role in (
            ("staff", "Scale Staff", Role.STAFF),
            ("approver", "Scale Approver", Role.STAFF),
            ("accountant", "Scale Accountant", Role.ACCOUNTANT),
        ):
            email = f"{local}@{slug}.scale.example"
            user = tenancy_services.user_create(email=email, password=password, full_name=name)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            tenancy_services.membership_grant(cooperative=cooperative, user=user, role=role)
            logins.append((email, role.value))
    return cooperative, logins
