"""R17: logging in, MFA for staff and accountants, rate limits, session rotation, idle timeout."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _totp(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_a_member_logs_in_with_e_mail_and_password(client, alice):
    response = client.post(
        "/accounts/login/", {"login": alice.email, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"] == alice.user
    assert response.redirect_chain[-1][0] == "/"


def test_wrong_credentials_give_a_clear_error_not_a_500(client, alice):
    response = client.post("/accounts/login/", {"login": alice.email, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.context["user"].is_authenticated


def test_the_sixth_wrong_password_within_five_minutes_is_refused(client, alice, settings):
    settings.LANGUAGE_CODE = "en"
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": alice.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    # Even the right password is refused now: the key (this e-mail) is rate limited.
    assert response.status_code == 200
    assert "Too many failed login attempts" in str(response.context["form"].errors)
    assert "_auth_user_id" not in client.session


def test_the_session_is_rotated_at_login(client, alice):
    client.get("/accounts/login/")
    before = client.cookies["sessionid"].value if "sessionid" in client.cookies else None
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    after = client.cookies["sessionid"].value
    assert after and after != before


def test_staff_without_mfa_cannot_reach_the_admin(login, sabine_without_mfa):
    client = login(sabine_without_mfa)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate")
    assert login(sabine_without_mfa).get("/accountant/").status_code == 302
    me = client.get("/api/v1/me/").json()
    assert me["active_roles"] == [] and me["roles_awaiting_mfa"] == ["staff"]


def test_staff_with_mfa_reach_the_admin(login, sabine):
    assert login(sabine).get("/admin/").status_code == 200


def test_staff_log_in_with_password_then_totp(client, sabine):
    response = client.post("/accounts/login/", {"login": sabine.email, "password": PASSWORD})
    assert response.status_code == 302 and "/accounts/2fa/authenticate/" in response["Location"]
    response = client.post("/accounts/2fa/authenticate/", {"code": _totp(sabine.totp_secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_members_cannot_enter_the_admin(login, alice):
    assert login(alice).get("/admin/", follow=True).status_code == 403


def test_staff_are_logged_out_after_the_idle_timeout(login, sabine, settings):
    client = login(sabine)
    assert client.get("/admin/").status_code == 200
    session = client.session
    session["smartcoop_last_seen"] -= settings.SMARTCOOP_STAFF_IDLE_SECONDS + 1
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/me/").status_code == 401


def test_members_are_not_subject_to_the_staff_idle_timeout(login, alice):
    client = login(alice)
    client.get("/")
    assert "smartcoop_last_seen" not in client.session


def test_operators_without_mfa_are_not_operators(client, alice):
    from tenancy.context import build_context

    alice.user.is_superuser = True
    alice.user.save()
    context = build_context(alice.user, alice.cooperative, [alice.cooperative], {})
    assert not context.is_operator and context.roles_awaiting_mfa == {"staff"}
    client.force_login(alice.user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate")


def test_an_idle_api_session_is_really_ended(login, sabine, settings):
    # The logout happens outside the request transaction: replaying the old cookie fails too.
    client = login(sabine)
    assert client.get("/api/v1/me/").status_code == 200
    old_cookie = client.cookies["sessionid"].value
    session = client.session
    session["smartcoop_last_seen"] -= settings.SMARTCOOP_STAFF_IDLE_SECONDS + 1
    session.save()
    response = client.get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "session_expired"
    client.cookies["sessionid"] = old_cookie
    assert client.get("/api/v1/me/").status_code == 401


def test_the_idle_clock_runs_in_every_cooperative_of_a_staff_person(login, dirk, coop_a, settings):
    # Dirk is staff in Nordlicht and a member in Alpha; idling in Alpha still counts.
    from tests.conftest import make_person

    make_person(coop_a, dirk.email, "member", full_name="Dirk Dahl")
    client = login(dirk)
    client.post("/cooperative/switch/", {"cooperative": "alpha"})
    assert client.get("/").status_code == 200
    assert "smartcoop_last_seen" in client.session
    session = client.session
    session["smartcoop_last_seen"] -= settings.SMARTCOOP_STAFF_IDLE_SECONDS + 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_token_requests_of_staff_create_no_sessions(client, sabine):
    from django.contrib.sessions.models import Session

    from tenancy import services

    _token, raw = services.api_token_create(user=sabine.user, name="t", valid_days=1)
    for _ in range(3):
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 200
    assert Session.objects.count() == 0


def test_operators_cannot_hard_delete_people(client, carol, coop_a):
    from tests.conftest import make_person

    operator = make_person(coop_a, "olivia@example.org", "staff", full_name="Olivia Op")
    operator.user.is_superuser = True
    operator.user.save()
    client.force_login(operator.user)
    assert client.get(f"/admin/tenancy/user/{carol.user.pk}/change/").status_code == 200
    assert client.post(f"/admin/tenancy/user/{carol.user.pk}/delete/").status_code == 403
