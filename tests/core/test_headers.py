"""R16: security headers and a strict content security policy on every HTML page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PAGES = ["/", "/accountant/", "/api-tokens/", "/admin/", "/accounts/login/", "/api/docs/"]


@pytest.mark.parametrize("path", PAGES)
def test_html_pages_carry_strict_headers(client, sabine, path):
    if path != "/accounts/login/":
        client.force_login(sabine.user)
    response = client.get(path)
    assert response.status_code == 200, path
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_session_cookies_are_secure_httponly_and_same_site(client, alice):
    from tests.conftest import PASSWORD

    response = client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"


def test_no_page_loads_anything_from_another_host(client, sabine):
    client.force_login(sabine.user)
    for path in PAGES:
        html = client.get(path).content.decode()
        assert "https://cdn" not in html and "//unpkg" not in html and "jsdelivr" not in html
