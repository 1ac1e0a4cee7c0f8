"""The audit trail records who changed a tenant row, and staff read it in the admin."""

from __future__ import annotations

import pytest

from members.models import Member
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db


def admin_member_form(**changes) -> dict:
    """The member change form as staff submit it (editable fields and inline management)."""
    data = {
        "street": "Musterweg 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "phone": "",
        "languages": "",
        "permit_type": "",
        "permit_expires_on": "",
    }
    for prefix in ("share_payments", "documents", "status_changes"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    data.update(changes)
    return data


@pytest.mark.postgres
def test_bulk_updates_are_recorded_and_shown_with_their_actor(login, sabine, alice, carol):
    with tenant_scope(alice.cooperative):
        # A queryset update bypasses save() and signals; the trigger still records it.
        Member.objects.filter(pk=alice.member.pk).update(last_name="Adler-Berg")
    client = login(sabine)
    response = client.post(
        f"/admin/members/member/{alice.member.pk}/change/",
        admin_member_form(city="Hamburg-Altona"),
    )
    assert response.status_code == 302
    page = client.get(f"/admin/members/member/{alice.member.pk}/history/").content.decode()
    assert "Adler-Berg" in page and "Hamburg-Altona" in page
    assert sabine.email in page  # the actor of the admin change
    # Another cooperative's history is as missing as its member.
    assert client.get(f"/admin/members/member/{carol.member.pk}/history/").status_code == 404


def test_the_history_page_opens_for_own_members_only(login, sabine, alice, carol):
    client = login(sabine)
    assert client.get(f"/admin/members/member/{alice.member.pk}/history/").status_code == 200
    assert client.get(f"/admin/members/member/{carol.member.pk}/history/").status_code == 404
