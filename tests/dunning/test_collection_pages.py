"""The collection page (payments, reminders, decisions) for the member, staff and accountant;
nothing of it for another cooperative or another member; bank data in the admin stays in its
cooperative."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dunning import services
from dunning.models import Confirmation, Pause
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import draft, issue, line, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminded(coop_a_ready, alice, sabine):
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line(price="300.00")]), sabine)
    with tenant_scope(coop_a_ready):
        services.dunning_run(cooperative=coop_a_ready, on=invoice.due_date + timedelta(days=7))
        services.reminders_send_pending()
    return invoice


def test_member_staff_and_accountant_see_the_collection_page(reminded, login, alice, sabine, bob):
    for persona in (alice, sabine, bob):
        page = login(persona).get(f"/invoices/{reminded.pk}/collection/")
        assert page.status_code == 200 and b"1.pdf" in page.content
    api = login(alice).get(f"/api/v1/invoices/{reminded.pk}/collection/").json()
    assert api["state"] == "open" and [r["level"] for r in api["reminders"]] == [1]
    letter = login(bob).get(f"/invoices/{reminded.pk}/reminders/1.pdf")
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")


def test_member_confirms_staff_pause_with_reason(coop_a_ready, reminded, login, alice, sabine):
    member = login(alice)
    assert member.post(f"/invoices/{reminded.pk}/dunning/confirm/final/").status_code == 302
    assert (
        member.post(f"/invoices/{reminded.pk}/dunning/pause/", {"reason": "x"}).status_code == 403
    )
    staff = login(sabine)
    staff.post(f"/invoices/{reminded.pk}/dunning/confirm/escalation/", {"reason": ""})
    with tenant_scope(coop_a_ready):
        assert set(Confirmation.objects.values_list("step", flat=True)) == {"final"}
    staff.post(f"/invoices/{reminded.pk}/dunning/confirm/escalation/", {"reason": "unreachable"})
    staff.post(f"/invoices/{reminded.pk}/dunning/pause/", {"reason": "dispute"})
    with tenant_scope(coop_a_ready):
        assert Confirmation.objects.count() == 2
        assert Pause.objects.get().reason == "dispute"
    staff.post(f"/invoices/{reminded.pk}/dunning/resume/")
    with tenant_scope(coop_a_ready):
        assert Pause.objects.get().ended_at is not None


def test_other_cooperative_and_other_member_see_nothing(coop_a_ready, reminded, login, carol, dirk):
    from tests.conftest import make_person

    otto = make_person(coop_a_ready, "otto@alpha.example", "member", full_name="Otto Other")
    urls = [
        f"/api/v1/invoices/{reminded.pk}/collection/",
        f"/invoices/{reminded.pk}/collection/",
        f"/invoices/{reminded.pk}/reminders/1.pdf",
    ]
    for persona in (carol, dirk, otto):
        web = login(persona)
        for url in urls:
            assert web.get(url).status_code == 404, (persona.email, url)
        assert web.post(f"/invoices/{reminded.pk}/dunning/confirm/final/").status_code == 404
    staff_b = login(dirk)
    for url in (
        f"/invoices/{reminded.pk}/dunning/pause/",
        f"/invoices/{reminded.pk}/dunning/resume/",
    ):
        assert staff_b.post(url, {"reason": "x"}).status_code == 404
    with tenant_scope(coop_a_ready):
        assert not Confirmation.objects.exists() and not Pause.objects.exists()


def test_bank_data_in_the_admin_stays_in_its_cooperative(coop_a_ready, login, sabine, dirk):
    from banking.models import BankAccount

    with tenant_scope(coop_a_ready):
        account = BankAccount.objects.create(
            cooperative=coop_a_ready, name="Main", iban="DE89370400440532013000"
        )
    assert login(sabine).get(f"/admin/banking/bankaccount/{account.pk}/change/").status_code == 200
    assert login(dirk).get(f"/admin/banking/bankaccount/{account.pk}/change/").status_code == 404
    assert b"DE8937" not in login(dirk).get("/admin/banking/bankaccount/").content
