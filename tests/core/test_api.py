"""The API's one error format, bearer tokens and the `me` endpoint; bad input never gives a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy import services
from tenancy.models import ApiToken

pytestmark = pytest.mark.django_db


def _bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_me_lists_the_memberships(client, alice):
    client.force_login(alice.user)
    # Queries: session, user, memberships (user scope), MFA check skipped for members,
    # plus the transaction's set_config calls on PostgreSQL.
    body = client.get("/api/v1/me/").json()
    assert body["email"] == alice.email
    assert body["active_cooperative"] == "alpha"
    assert body["memberships"] == [
        {
            "cooperative": "alpha",
            "cooperative_name": "Alpha eG",
            "roles": ["member"],
            "active": True,
        }
    ]


def test_me_query_budget(client, alice, django_assert_max_num_queries):
    client.force_login(alice.user)
    # session, user, memberships with their cooperatives; on PostgreSQL also the request
    # scope's savepoint (a transaction outside tests), set_config for the person, set_config
    # for the cooperative, release, and the restore of the outer (empty) setting.
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/me/").status_code == 200


def test_a_token_works_until_it_expires(client, alice):
    token, raw = services.api_token_create(user=alice.user, name="my tool", valid_days=30)
    assert client.get("/api/v1/members/", **_bearer(raw)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/members/", **_bearer(raw))
    assert response.status_code == 401
    assert (
        response.json()
        == {"error": {"code": "token_expired", "message": "The API token has expired."}}
        or response.json()["error"]["code"] == "token_expired"
    )


def test_revoked_malformed_and_wrong_tokens_are_clear_401s(client, alice):
    token, raw = services.api_token_create(user=alice.user, name="t", valid_days=1)
    wrong = raw[:-2] + ("aa" if not raw.endswith("aa") else "bb")
    assert client.get("/api/v1/me/", **_bearer(wrong)).json()["error"]["code"] == "invalid_token"
    assert client.get("/api/v1/me/", **_bearer("garbage")).json()["error"]["code"] == (
        "invalid_token"
    )
    services.api_token_revoke(token=token)
    response = client.get("/api/v1/me/", **_bearer(raw))
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_revoked"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_tokens_pick_the_cooperative_by_header(client, alice, carol, coop_b):
    # Alice also joins Nordlicht as a member; her token reaches both, one per request.
    from tests.conftest import make_person

    make_person(coop_b, alice.email, "member", full_name="Alice Adler")
    _token, raw = services.api_token_create(user=alice.user, name="t", valid_days=1)
    body = client.get("/api/v1/me/", HTTP_X_COOPERATIVE="nordlicht", **_bearer(raw)).json()
    assert body["active_cooperative"] == "nordlicht"
    members = client.get("/api/v1/members/", HTTP_X_COOPERATIVE="nordlicht", **_bearer(raw))
    assert [m["last_name"] for m in members.json()["results"]] == ["Adler"]


def test_malformed_json_is_a_400_in_the_error_format(client, alice):
    client.force_login(alice.user)
    response = client.patch("/api/v1/me/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_invalid_fields_are_reported_per_field(client, alice):
    client.force_login(alice.user)
    response = client.patch("/api/v1/me/", {"language": "xx"}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and "language" in body["details"]


def test_me_can_be_updated(client, alice):
    client.force_login(alice.user)
    response = client.patch(
        "/api/v1/me/", {"full_name": "Alice A.", "language": "tr"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["language"] == "tr"
    alice.user.refresh_from_db()
    assert alice.user.full_name == "Alice A."


def test_unknown_api_routes_answer_in_the_error_format(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_api_calls_are_401(client):
    response = client.get("/api/v1/members/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_api_token_page_creates_shows_once_and_revokes(client, alice):
    client.force_login(alice.user)
    response = client.post(
        "/api-tokens/", {"name": "invoice sync", "valid_days": 30, "access": "write"}
    )
    assert response.status_code == 200
    secret = response.context["created_secret"]
    assert secret.startswith("sc_")
    assert secret not in client.get("/api-tokens/").content.decode()
    token = ApiToken.objects.get(user=alice.user)
    client.post(f"/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_api_token_page_rejects_bad_input_and_keeps_it(client, alice):
    client.force_login(alice.user)
    response = client.post("/api-tokens/", {"name": "keep me", "valid_days": "9999"})
    assert response.status_code == 200
    assert response.context["form"].errors["valid_days"]
    assert 'value="keep me"' in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_someone_elses_token_cannot_be_revoked(client, alice, carol):
    token, _raw = services.api_token_create(user=carol.user, name="t", valid_days=1)
    client.force_login(alice.user)
    assert client.post(f"/api-tokens/{token.pk}/revoke/").status_code == 404


def test_a_read_only_token_reads_but_never_writes(client, alice):
    _token, read = services.api_token_create(user=alice.user, name="dashboard", valid_days=1)
    assert client.get("/api/v1/me/", **_bearer(read)).status_code == 200
    refused = client.patch(
        "/api/v1/me/", {"language": "en"}, content_type="application/json", **_bearer(read)
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "token_read_only"
    _token, write = services.api_token_create(
        user=alice.user, name="sync", valid_days=1, access=ApiToken.Access.WRITE
    )
    allowed = client.patch(
        "/api/v1/me/", {"language": "en"}, content_type="application/json", **_bearer(write)
    )
    assert allowed.status_code == 200


def test_a_member_token_reaches_only_the_members_own_data(client, alice):
    """Alice's token, even a writing one, sees Alice's budget and nobody else's member data."""
    from members.models import Member
    from tenancy.scope import tenant_scope
    from tests.conftest import make_person

    other = make_person(alice.cooperative, "olga@example.org", "member", full_name="Olga Ost")
    _token, raw = services.api_token_create(
        user=alice.user, name="t", valid_days=1, access=ApiToken.Access.WRITE
    )
    assert client.get("/api/v1/members/me/budget/", **_bearer(raw)).status_code == 200
    with tenant_scope(alice.cooperative):
        assert Member.objects.filter(pk=other.member.pk).exists()
    for url in (
        f"/api/v1/members/{other.member.pk}/",
        f"/api/v1/members/{other.member.pk}/budget/",
    ):
        assert client.get(url, **_bearer(raw)).status_code in (403, 404)
    listed = client.get("/api/v1/members/", **_bearer(raw)).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [alice.member.pk]


def test_absurd_page_sizes_and_offsets_are_bounded_not_errors(client, alice):
    client.force_login(alice.user)
    for query in ("limit=1983204050912393757313728512", "offset=99999999999999999999999999"):
        response = client.get(f"/api/v1/members/me/salaries/?{query}")
        assert response.status_code == 200, query
    assert client.get("/api/v1/members/me/salaries/?limit=1000").status_code == 200
