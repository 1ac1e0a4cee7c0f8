"""`seed_scale`: a cooperative at scale that the application takes over where it stops — the
ledger verifies, both hash chains and the number range continue, dunning and payroll run on it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from banking.models import Allocation
from dunning import services as dunning_services
from invoicing.invoice_services import fingerprint
from invoicing.models import Invoice, NumberCounter
from ledger.models import Account, AccountKind
from ledger.verify import verify
from members.models import Member
from ops.management.commands.seed_demo import DEMO_PASSWORD
from payroll import services as payroll_services
from tenancy.models import Cooperative, Role, User
from tenancy.scope import tenant_scope
from tests.conftest import Persona
from tests.invoicing.conftest import draft, issue, line, make_client

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "owner"]),
]

TODAY = date(2026, 11, 20)


def _seed(slug: str, members: int, invoices: int) -> dict[str, str]:
    out = StringIO()
    call_command(
        "seed_scale",
        members=members,
        invoices=invoices,
        cooperative=slug,
        date=TODAY.isoformat(),
        stdout=out,
    )
    first = out.getvalue().splitlines()[0]
    return dict(pair.split("=", 1) for pair in first.split())


def test_a_year_of_business_the_application_continues(reference_data, coop_b, client):
    line_of = _seed("scale-test", members=12, invoices=300)
    coop = Cooperative.objects.get(slug="scale-test")
    assert {k: line_of[k] for k in ("members", "clients", "invoices")} == {
        "members": "12",
        "clients": "15",
        "invoices": "300",
    }
    paid, overdue = int(line_of["paid"]), int(line_of["overdue"])
    assert 240 <= paid < 270 and 0 < overdue <= 30

    with tenant_scope(coop):
        assert verify(cooperative=coop) == []
        invoices = list(Invoice.objects.order_by("year", "number").prefetch_related("lines"))
        assert len(invoices) == 300 and Member.objects.count() == 12
        previous = ""
        for invoice in invoices:
            if invoice.number == 1:
                previous = ""
            assert invoice.status == Invoice.Status.ISSUED
            assert invoice.previous_hash == previous
            assert invoice.hash == fingerprint(
                invoice=invoice, lines=list(invoice.lines.all()), previous_hash=previous
            )
            previous = invoice.hash
        last = invoices[-1]
        counter = NumberCounter.objects.get(series=last.series, year=last.year)
        assert (counter.last_number, counter.last_hash) == (last.number, last.hash)

        allocations = Allocation.objects.filter(undone_at__isnull=True)
        assert allocations.count() == paid
        paid_gross = Invoice.objects.filter(allocations__isnull=False).aggregate(
            total=Sum("gross_total")
        )["total"]
        assert allocations.aggregate(total=Sum("amount"))["total"] == paid_gross
        bank = Account.objects.get(kind=AccountKind.BANK)
        assert bank.balance == paid_gross
        budgets = Account.objects.filter(kind=AccountKind.MEMBER_BUDGET)
        fee = -Account.objects.get(kind=AccountKind.FEE_INCOME).balance
        paid_net = Invoice.objects.filter(allocations__isnull=False).aggregate(
            total=Sum("net_total")
        )["total"]
        # 9 % of each paid invoice's net stays with the cooperative, the rest is the budgets'.
        assert -budgets.aggregate(total=Sum("balance"))["total"] == paid_net - fee
        assert fee == sum(
            (
                (i.net_total * D("0.09")).quantize(D("0.01"))
                for i in invoices
                if i.allocations.all()
            ),
            D("0"),
        )

    # Staff issue the next invoice with the application: the range and the chains continue.
    staff = User.objects.get(email="staff@scale-test.scale.example")
    member_user = User.objects.get(email="member1@scale-test.scale.example")
    with tenant_scope(coop):
        member = Member.objects.get(user=member_user)
    persona = Persona(user=member_user, cooperative=coop, role=Role.MEMBER, member=member)
    client_row = make_client(persona)
    new = issue(persona, draft(persona, client_row, [line()]), Persona(staff, coop, Role.STAFF))
    if new.year == last.year:
        assert (new.number, new.previous_hash) == (last.number + 1, last.hash)
    with tenant_scope(coop):
        assert verify(cooperative=coop) == []

        # Dunning and payroll run on the data as on any cooperative's.
        result = dunning_services.dunning_run(cooperative=coop, on=TODAY)
        assert 0 < result.reminders_created <= overdue
    _run, summary = payroll_services.payroll_run_compute(cooperative=coop, month=date(2026, 10, 1))
    assert summary.lines == 12 and summary.gross > 0

    # Members log in with the demo password; another cooperative sees none of it.
    assert client.login(email="member1@scale-test.scale.example", password=DEMO_PASSWORD)
    with tenant_scope(coop_b):
        assert not Invoice.objects.exists() and not Member.objects.exists()


def test_refuses_a_cooperative_that_exists(coop_a):
    with pytest.raises(CommandError, match="exists already"):
        call_command("seed_scale", members=1, invoices=1, cooperative=coop_a.slug)
