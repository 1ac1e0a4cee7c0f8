"""The hand-off to DATEV LODAS and back: Sabine downloads the approved month's inputs for the
tax adviser; the certified results come back as a CSV file; where they differ from the shadow
payroll, Alice's budget bears the real employer cost and her statement says why. A wrong file
is refused with every problem named and changes nothing; the same file twice adds nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from ledger.models import AccountKind, Entry
from payroll import handoff, selectors, services
from payroll.models import CertifiedResult
from tenancy.scope import tenant_scope
from tests.payroll.test_documents import _approved

pytestmark = pytest.mark.django_db


def _configure(coop, **changes):
    with tenant_scope(coop):
        settings = services.payroll_settings(cooperative=coop)
        settings.datev_consultant_number = "1234567"
        settings.datev_client_number = "10001"
        settings.lodas_wage_type_salary = "2000"
        settings.lodas_wage_type_hours = "1"
        for name, value in changes.items():
            setattr(settings, name, value)
        settings.save()


def _csv(*rows: str) -> bytes:
    return ("Personalnummer;Brutto;Steuern;Netto;AG-Kosten\r\n" + "\r\n".join(rows)).encode(
        "cp1252"
    )


def _line(coop, run):
    with tenant_scope(coop):
        return run.lines.select_related("member").get()


def test_the_lodas_file_carries_the_approved_month_in_datevs_format(
    coop_a, alice, sabine, stefan, login
):
    _configure(coop_a)
    run = _approved(coop_a, alice, sabine, stefan)
    line = _line(coop_a, run)
    response = login(sabine).get(f"/payroll/{run.pk}/lodas.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=windows-1252"
    content = response.content
    assert b"\r\n" in content and b"\n" not in content.replace(b"\r\n", b"")
    text = content.decode("cp1252").split("\r\n")
    assert text[:9] == [
        "[Allgemein]",
        "Ziel=LODAS",
        "Version_SST=1.0",
        "BeraterNr=1234567",
        "MandantenNr=10001",
        "Datumsformat=TT.MM.JJJJ",
        "Feldtrennzeichen=;",
        "Zahlenkomma=,",
        "Kommentarzeichen=*",
    ]
    description = text.index("[Satzbeschreibung]") + 1
    assert text[description].startswith("10;u_lod_bwd_buchung_standard;abrechnung_zeitraum#bwd;")
    movements = text[text.index("[Bewegungsdaten]") + 1 :]
    pnr = line.member.member_number
    gross = f"{line.gross}".replace(".", ",")
    hours = f"{line.hours}".replace(".", ",")
    assert movements[:2] == [
        f"10;01.{run.month:%m.%Y};{pnr};2000;4;{gross};{pnr};",
        f"10;01.{run.month:%m.%Y};{pnr};1;1;{hours};{pnr};",
    ]
    api = login(sabine).get(f"/api/v1/payroll/runs/{run.pk}/lodas/")
    assert api.status_code == 200 and api.content == content


def test_without_datev_numbers_the_export_says_what_to_enter(
    coop_a, alice, sabine, stefan, login, tmp_path
):
    run = _approved(coop_a, alice, sabine, stefan)
    page = login(sabine).get(f"/payroll/{run.pk}/lodas.txt", follow=True)
    assert page.status_code == 200 and "DATEV consultant and client numbers" in page.text
    with pytest.raises(CommandError, match="DATEV consultant"):
        call_command(
            "export_lodas",
            cooperative=coop_a.slug,
            month=run.month.strftime("%Y-%m"),
            output=str(tmp_path / "x.txt"),
        )


def test_certified_results_post_the_difference_to_alices_budget(
    coop_a, alice, sabine, stefan, bob, login
):
    _configure(coop_a)
    run = _approved(coop_a, alice, sabine, stefan)
    line = _line(coop_a, run)
    pnr = line.member.member_number
    with tenant_scope(coop_a):
        before = selectors.budget_balances(member_ids=[line.member_id])[line.member_id]
    # DATEV computed 4.56 € more employer cost and 1.20 € less net (e.g. a different insurer rate).
    cost = line.employer_cost + Decimal("4.56")
    net = line.net - Decimal("1.20")
    taxes = line.taxes + Decimal("0.50")
    body = _csv(f"{pnr};{line.gross:.2f};{taxes:.2f};{net:.2f};{cost:.2f}".replace(".", ","))
    staff = login(sabine)
    upload = handoff_upload(staff, run, body)
    assert upload.status_code == 302
    with tenant_scope(coop_a):
        result = CertifiedResult.objects.get()
        assert result.employer_cost_difference == Decimal("4.56")
        assert result.net_difference == Decimal("-1.20")
        after = selectors.budget_balances(member_ids=[line.member_id])[line.member_id]
        assert after == before - Decimal("4.56")
        entries = {
            e.account.kind: e.amount
            for e in Entry.objects.filter(
                transaction__idempotency_key=f"payroll:certified-{line.pk}"
            ).select_related("account")
        }
        assert entries == {
            AccountKind.MEMBER_BUDGET: Decimal("4.56"),
            AccountKind.WAGES_PAYABLE: Decimal("1.20"),
            AccountKind.WAGE_TAX_PAYABLE: Decimal("-0.50"),
            AccountKind.SOCIAL_SECURITY_PAYABLE: Decimal("-5.26"),
        }
        statement = Entry.objects.get(
            transaction__idempotency_key=f"payroll:certified-{line.pk}",
            account__kind=AccountKind.MEMBER_BUDGET,
        ).transaction.description
        assert f"employer cost {cost} € instead of {line.employer_cost} €" in statement
    page = staff.get(f"/payroll/{run.pk}/")
    assert "4.56" in page.text and "not yet certified" not in page.text
    # The same file again adds nothing; Bob reads the results in the API.
    again = staff.post(
        f"/api/v1/payroll/runs/{run.pk}/certified-results/",
        {"file": _named(body)},
    )
    assert again.status_code == 200
    assert again.json() | {"total_difference": None} == {
        "rows": 1,
        "imported": 0,
        "unchanged": 1,
        "differences": 0,
        "total_difference": None,
        "missing": [],
    }
    with tenant_scope(coop_a):
        assert selectors.budget_balances(member_ids=[line.member_id])[line.member_id] == after
    staff.logout()
    accountant = login(bob)
    listed = accountant.get(f"/api/v1/payroll/runs/{run.pk}/certified-results/").json()
    assert [(r["member_number"], r["employer_cost_difference"]) for r in listed] == [(pnr, "4.56")]
    # Accountants read, only staff import.
    refused = accountant.post(
        f"/api/v1/payroll/runs/{run.pk}/certified-results/", {"file": _named(body)}
    )
    assert refused.status_code == 403


def _named(body: bytes, name: str = "lodas-results.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body, content_type="text/csv")


def handoff_upload(client, run, body: bytes):
    return client.post(f"/payroll/{run.pk}/", {"file": _named(body)})


def test_a_wrong_file_is_refused_with_every_problem_and_changes_nothing(
    coop_a, alice, sabine, stefan, login
):
    _configure(coop_a)
    run = _approved(coop_a, alice, sabine, stefan)
    line = _line(coop_a, run)
    pnr = line.member.member_number
    good = f"{pnr};{line.gross};{line.taxes};{line.net};{line.employer_cost}"
    body = _csv(good, "99999;100.00;0.00;100.00;120.00", f"{pnr}x;1;0;1;1", "7;1.234,5x;0;1;2")
    page = handoff_upload(login(sabine), run, body)
    assert page.status_code == 200
    assert "Row 3: personnel number 99999 has no salary" not in page.text  # parse errors first
    assert "Row 4: the personnel number" in page.text
    assert "Row 5: an amount is not a number" in page.text
    wrong_numbers = _csv(good, "99999;100.00;0.00;100.00;120.00")
    page = handoff_upload(login(sabine), run, wrong_numbers)
    assert "Row 3: personnel number 99999 has no salary" in page.text
    upside_down = _csv(f"{pnr};100.00;0.00;200.00;120.00")
    page = handoff_upload(login(sabine), run, upside_down)
    assert "Row 2: the amounts do not fit together" in page.text
    page = handoff_upload(login(sabine), run, b"Name;Betrag\r\nAlice;1\r\n")
    assert "missing: personnel_number, gross, taxes, net, employer_cost" in page.text
    with tenant_scope(coop_a):
        assert not CertifiedResult.objects.exists()
    # A different result for a member already certified is refused, the first one kept.
    handoff_upload(login(sabine), run, _csv(good))
    changed = _csv(f"{pnr};{line.gross};{line.taxes};{line.net};{line.employer_cost + 1}")
    api = login(sabine).post(
        f"/api/v1/payroll/runs/{run.pk}/certified-results/", {"file": _named(changed)}
    )
    assert api.status_code == 400
    assert "already imported with other amounts" in api.json()["error"]["details"]["problems"][0]
    with tenant_scope(coop_a):
        assert CertifiedResult.objects.get().employer_cost_difference == 0


def test_the_commands_export_and_import_for_the_tax_adviser(
    coop_a, alice, sabine, stefan, tmp_path, capsys
):
    _configure(coop_a)
    run = _approved(coop_a, alice, sabine, stefan)
    line = _line(coop_a, run)
    month = run.month.strftime("%Y-%m")
    target = tmp_path / "lodas.txt"
    call_command("export_lodas", cooperative=coop_a.slug, month=month, output=str(target))
    assert capsys.readouterr().out.startswith("records=2 ")
    assert target.read_bytes().startswith(b"[Allgemein]\r\nZiel=LODAS")
    results = tmp_path / "results.csv"
    cost = line.employer_cost + Decimal("0.03")
    results.write_bytes(
        b"personnel_number,gross,taxes,net,employer_cost\n"
        + f"{line.member.member_number},{line.gross},{line.taxes},{line.net},{cost}\n".encode()
    )
    call_command(
        "import_payroll_results",
        str(results),
        cooperative=coop_a.slug,
        month=month,
        user=stefan.user.email,
    )
    assert capsys.readouterr().out.strip() == (
        "rows=1 imported=1 unchanged=0 differences=1 total_difference=0.03 missing=0"
    )
    with pytest.raises(CommandError, match="not staff"):
        call_command(
            "import_payroll_results",
            str(results),
            cooperative=coop_a.slug,
            month=month,
            user=alice.user.email,
        )


def test_the_hand_off_stays_in_its_cooperative(coop_a, alice, sabine, stefan, dirk, erik, login):
    _configure(coop_a)
    run = _approved(coop_a, alice, sabine, stefan)
    line = _line(coop_a, run)
    cost = line.employer_cost + 1
    body = _csv(f"{line.member.member_number};{line.gross};{line.taxes};{line.net};{cost}")
    other_staff = login(dirk)
    for url in (
        f"/payroll/{run.pk}/",
        f"/payroll/{run.pk}/lodas.txt",
        f"/api/v1/payroll/runs/{run.pk}/lodas/",
        f"/api/v1/payroll/runs/{run.pk}/certified-results/",
    ):
        assert other_staff.get(url).status_code == 404, url
    assert handoff_upload(other_staff, run, body).status_code == 404
    posted = other_staff.post(
        f"/api/v1/payroll/runs/{run.pk}/certified-results/", {"file": _named(body)}
    )
    assert posted.status_code == 404
    with tenant_scope(coop_a):
        assert not CertifiedResult.objects.exists()
    assert handoff.certified_parse(body)[0].employer_cost == cost  # the file itself was fine
