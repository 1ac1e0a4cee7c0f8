"""Clients (VAT IDs, Leitweg-IDs, visibility) and jobs (client confirmation, risk flags)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import ApplicationError
from core.validators import validate_leitweg_id
from invoicing import services
from invoicing.models import Client, Job
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db
D = Decimal

CLIENT = {
    "kind": "business",
    "name": "Atelier Nord GmbH",
    "contact_person": "",
    "street": "Kai 1",
    "postal_code": "20457",
    "city": "Hamburg",
    "country": "DE",
    "vat_id": "DE136695976",
    "leitweg_id": "",
    "invoice_email": "rechnung@atelier.example",
    "language": "de",
    "payment_terms_days": 14,
}


def _client(persona, **changes) -> Client:
    with tenant_scope(persona.cooperative):
        return services.client_save(
            client=None, values={**CLIENT, **changes}, member=persona.member
        )


def _job(persona, client, **changes) -> Job:
    values = {
        "client": client,
        "title": "Logo redesign",
        "deliverable": "Logo in three variants",
        "period_start": date(2026, 12, 1),
        "period_end": date(2026, 12, 20),
        "place": "Berlin",
        "pricing": "fixed",
        "hours": None,
        "hourly_rate": None,
        "fixed_price": D("1800.00"),
        "vat_category": "S19",
        "vat_reason": "",
        "uses_client_equipment": False,
        "in_client_rota": False,
        "follows_client_instructions": False,
        **changes,
    }
    with tenant_scope(persona.cooperative):
        return services.job_save(job=None, member=persona.member, values=values)


@pytest.mark.parametrize("value", ["04011000-1234512345-06", "04011000-12345-03", "992-90009-96"])
def test_valid_leitweg_ids(value):
    validate_leitweg_id(value)


@pytest.mark.parametrize("value", ["04011000-1234512345-07", "ABC", "04011000-12345"])
def test_invalid_leitweg_ids(value):
    with pytest.raises(ValidationError):
        validate_leitweg_id(value)


def test_vat_ids_are_checked_and_the_check_is_recorded(alice):  # T10
    client = _client(alice)
    assert client.vat_id_checked_at is not None and "valid" in client.vat_id_check_result
    for bad in ("DE136695978", "DE123456789"):
        with pytest.raises(ApplicationError) as error:
            _client(alice, vat_id=bad)
        assert error.value.code == "invalid_vat_id"


def test_eu_business_clients_need_a_vat_id_and_public_clients_a_leitweg_id(alice):
    with pytest.raises(ApplicationError) as error:
        _client(alice, country="FR", vat_id="")
    assert error.value.code == "vat_id_required"
    with pytest.raises(ApplicationError) as error:
        _client(alice, kind="public", vat_id="")
    assert error.value.code == "leitweg_required"
    public = _client(alice, kind="public", vat_id="", leitweg_id="04011000-1234512345-06")
    assert public.leitweg_id


def test_members_see_their_clients_staff_see_all_other_cooperatives_none(
    login, alice, sabine, carol, coop_a
):
    from tests.conftest import make_person

    own = _client(alice)
    other_member = make_person(coop_a, "zoe@example.org", "member", full_name="Zoe Zimmer")
    theirs = _client(other_member, name="Zoe's client")
    client = login(alice)
    page = client.get("/clients/").content.decode()
    assert own.name in page and theirs.name not in page
    assert client.get(f"/clients/{theirs.pk}/").status_code == 404
    assert login(sabine).get(f"/clients/{theirs.pk}/").status_code == 200
    assert login(carol).get(f"/clients/{own.pk}/").status_code == 404
    api = login(alice).get("/api/v1/clients/").json()
    assert [c["id"] for c in api] == [own.pk]


def test_client_form_refuses_bad_input_and_keeps_it(login, alice):
    response = login(alice).post("/clients/new/", {**CLIENT, "vat_id": "DE136695978"})
    assert response.status_code == 200
    assert "valid EU VAT" in str(response.context["form"].errors)
    assert 'value="Atelier Nord GmbH"' in response.content.decode()


@pytest.mark.parametrize(
    "changes,code",
    [
        ({"vat_category": "AE"}, "vat_category"),  # German client: no reverse charge
        ({"vat_category": "S7"}, "vat_category"),  # 7 % needs a reason
        ({"vat_category": "E"}, "vat_category"),  # exemption needs its legal basis
        ({"pricing": "hourly", "hours": D("-3"), "hourly_rate": D("60")}, "invalid"),
        ({"period_end": date(2026, 11, 1)}, "invalid"),  # ends before it starts
    ],
)
def test_bad_jobs_are_refused(alice, changes, code):
    client = _client(alice)
    with pytest.raises(ApplicationError) as error:
        _job(alice, client, **changes)
    assert error.value.code == code


def test_risk_flags_for_staff_leasing_indicators(alice):
    client = _client(alice)
    job = _job(
        alice,
        client,
        pricing="hourly",
        hours=D("160"),
        hourly_rate=D("55"),
        fixed_price=None,
        period_end=None,
        in_client_rota=True,
    )
    assert "open-ended hourly work" in job.risk_flags and "client's rota" in job.risk_flags
    assert job.planned_net == D("8800.00")
    assert _job(alice, client).risk_flags == []


def test_the_client_confirms_through_the_link(client, alice, sabine, mailoutbox, login):
    job = _job(alice, _client(alice, language="en"))
    member = login(alice)
    assert member.post(f"/jobs/{job.pk}/send/").status_code == 302
    mail = mailoutbox[-1]
    assert mail.to == ["rechnung@atelier.example"] and "confirm" in mail.subject.lower()
    path = re.search(r"https?://[^/]+(/confirm/\S+/)", mail.body).group(1)
    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "Logo in three variants" in page.content.decode()
    assert client.post(path, {"name": "", "answer": "accept"}).status_code == 200  # name needed
    answered = client.post(path, {"name": "Jana Nord", "answer": "accept"})
    assert answered.status_code == 200 and "accepted" in answered.content.decode()
    with tenant_scope(alice.cooperative):
        job.refresh_from_db()
    assert job.status == "confirmed" and job.client_answer_name == "Jana Nord"
    assert job.client_answer_ip == "127.0.0.1" and job.client_answered_at
    assert client.get(path).status_code == 404  # one answer per link
    staff = login(sabine)
    staff.post("/admin/invoicing/job/", {"action": "approve", "_selected_action": [job.pk]})
    with tenant_scope(alice.cooperative):
        assert Job.objects.get(pk=job.pk).status == "approved"


def test_a_client_can_decline_with_a_reason(client, alice, mailoutbox):
    job = _job(alice, _client(alice))
    with tenant_scope(alice.cooperative):
        link = services.job_send_for_confirmation(job=job, actor=alice.user)
    path = "/" + link.split("/", 3)[3]
    client.post(path, {"name": "Jana Nord", "reason": "too expensive", "answer": "decline"})
    with tenant_scope(alice.cooperative):
        job.refresh_from_db()
    assert (job.status, job.client_decline_reason) == ("declined", "too expensive")
    assert any(alice.email in m.to for m in mailoutbox)


def test_wrong_links_look_like_missing_ones(client, alice, carol):
    job = _job(alice, _client(alice))
    with tenant_scope(alice.cooperative):
        link = services.job_send_for_confirmation(job=job, actor=alice.user)
    path = "/" + link.split("/", 3)[3]
    slug, pk, token = path.strip("/").split("/")[1:]
    for wrong in (
        f"/confirm/{slug}/{pk}/{token[:-2]}xx/",
        f"/confirm/{carol.cooperative.slug}/{pk}/{token}/",
        f"/confirm/no-such-coop/{pk}/{token}/",
        f"/confirm/{slug}/{int(pk) + 1000}/{token}/",
    ):
        assert client.get(wrong).status_code == 404


def test_html_in_descriptions_is_escaped(login, alice):
    job = _job(alice, _client(alice), deliverable="<script>alert(1)</script>")
    page = login(alice).get(f"/jobs/{job.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_jobs_api_and_cross_tenant(login, alice, carol, sabine):
    client_obj = _client(alice)
    api = login(alice)
    response = api.post(
        "/api/v1/jobs/",
        {
            "client": client_obj.pk,
            "title": "API job",
            "deliverable": "Photos",
            "period_start": "2026-12-01",
            "pricing": "fixed",
            "fixed_price": "500.00",
            "vat_category": "S19",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    assert api.get(f"/api/v1/jobs/{job_id}/").json()["title"] == "API job"
    assert login(carol).get(f"/api/v1/jobs/{job_id}/").status_code == 404
    assert login(sabine).get(f"/api/v1/jobs/{job_id}/").status_code == 200
    api = login(alice)  # the personas share one test client
    bad = api.post(
        "/api/v1/jobs/",
        {
            "client": client_obj.pk,
            "title": "x",
            "deliverable": "y",
            "period_start": "2026-12-01",
            "pricing": "fixed",
            "fixed_price": "500.00",
            "vat_category": "AE",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "vat_category"


def test_job_pages_of_others_are_missing(login, alice, carol, coop_a):
    from tests.conftest import make_person

    job = _job(alice, _client(alice))
    zoe = make_person(coop_a, "zoe@example.org", "member", full_name="Zoe Zimmer")
    for persona in (zoe, carol):
        client = login(persona)
        assert client.get(f"/jobs/{job.pk}/").status_code == 404
        assert client.get(f"/jobs/{job.pk}/edit/").status_code == 404
        assert client.post(f"/jobs/{job.pk}/send/").status_code == 404
    with tenant_scope(alice.cooperative):
        assert Job.objects.get(pk=job.pk).status == "draft"


def test_a_job_needs_its_price_and_always_shows_its_planned_net(login, alice):
    """Found by schemathesis: an hourly job without a rate was accepted, and its planned net
    then went missing from the answer."""
    client_obj = _client(alice)
    api = login(alice)
    base = {
        "client": client_obj.pk,
        "title": "x",
        "deliverable": "y",
        "period_start": "2026-12-01",
        "vat_category": "S19",
    }
    for pricing, field in (("hourly", "hourly_rate"), ("fixed", "fixed_price")):
        refused = api.post(
            "/api/v1/jobs/", {**base, "pricing": pricing}, content_type="application/json"
        )
        assert refused.status_code == 400
        assert field in refused.json()["error"]["details"]
    created = api.post(
        "/api/v1/jobs/",
        {**base, "pricing": "hourly", "hourly_rate": "80.00"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["planned_net"] == "0.00"
