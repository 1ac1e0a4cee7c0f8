"""The cockpit answers "is the cooperative safe?" with the ledger's own figures."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from ledger import services as ledger_services
from ledger.models import Account, AccountKind, SourceType
from reports.cockpit import cockpit
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db


def test_the_demo_cockpit_shows_the_ledger(django_assert_max_num_queries):
    call_command("seed_demo", stdout=StringIO())
    coop = Cooperative.objects.get(slug="smart-demo")
    with tenant_scope(coop):
        with django_assert_max_num_queries(25):
            c = cockpit(cooperative=coop, as_of=timezone.localdate())
        accounts = {a.kind: a for a in Account.objects.filter(member__isnull=True)}
        assert c.cash == accounts[AccountKind.BANK].balance
        assert c.cash_by_month[-1][1] == c.cash
        assert c.receivables == accounts[AccountKind.RECEIVABLES].balance > 0
        assert sum((amount for _bucket, amount in c.ageing), Decimal(0)) == c.receivables
        assert c.overdue_share is not None and c.dso is not None
        budgets = -Account.objects.filter(kind=AccountKind.MEMBER_BUDGET).aggregate(
            total=Sum("balance")
        )["total"]
        assert c.budgets == budgets > 0
        assert c.payables["wages"] == -accounts[AccountKind.WAGES_PAYABLE].balance
        assert c.fund == -accounts[AccountKind.GUARANTEE_FUND].balance
        assert c.clients and c.clients[0].open == max(client.open for client in c.clients)


def test_the_charts_carry_the_exact_figures_of_the_tables(coop_a, bob, login):
    with tenant_scope(coop_a):
        c = cockpit(cooperative=coop_a, as_of=timezone.localdate())
    ageing = c.charts["ageing"]
    assert ageing["series"][0]["values"] == [str(amount) for _bucket, amount in c.ageing]
    assert len(ageing["labels"]) == len(c.ageing)
    assert c.charts["cash"]["series"][0]["values"] == [str(v) for _m, v in c.cash_by_month]
    page = login(bob).get("/cockpit/")
    html = page.content.decode()
    # Drawn by the project's own copy of uPlot (no CDN), from data embedded in the page.
    assert 'id="ageing-chart-data" type="application/json"' in html
    assert "/static/vendor/uplot/uPlot.iife.min.js" in html and "/static/js/charts.js" in html


def test_page_shows_only_the_own_cooperative(coop_a, coop_b, bob, erik, alice, login):
    with tenant_scope(coop_a):
        bank = ledger_services.account_system(cooperative=coop_a, kind=AccountKind.BANK)
        capital = ledger_services.account_system(cooperative=coop_a, kind=AccountKind.SHARE_CAPITAL)
        ledger_services.ledger_post(
            cooperative=coop_a,
            booking_date=timezone.localdate(),
            description="Share capital",
            source_type=SourceType.MANUAL,
            source_id="1",
            lines=[
                ledger_services.Line(bank, Decimal("4321.00")),
                ledger_services.Line(capital, Decimal("-4321.00")),
            ],
            actor=None,
        )
    page = login(bob).get("/cockpit/").content.decode()
    assert "4321.00 €" in page and page.count('data-chart="') == 2
    other = login(erik).get("/cockpit/").content.decode()
    assert "4321.00" not in other
    api = login(bob).get("/api/v1/cockpit/").json()
    assert api["cash"] == "4321.00" and api["ageing"][0]["bucket"] == "not_due"
    assert login(erik).get("/api/v1/cockpit/").json()["cash"] == "0.00"
    assert login(alice).get("/cockpit/").status_code == 403
    assert login(alice).get("/api/v1/cockpit/").status_code == 403
