"""R18: every view declares who may use it, and the declared policy is what happens."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from core.policies import POLICIES

# Views of a library that enforces access itself: allauth's account pages (public sign-up and
# login, or the person's own account). The admin namespace is skipped in _views().
SELF_GOVERNED_MODULES = ("allauth.",)


def _views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # every admin view passes SmartCoopAdminSite.has_permission
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield str(pattern.pattern), pattern.callback


def _policy(callback):
    for holder in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None)):
        policy = getattr(holder, "role_policy", None)
        if policy is not None:
            return policy
    return None


def _module(callback) -> str:
    target = getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback
    return f"{target.__module__}."


def test_every_view_declares_a_role_policy():
    undeclared = []
    for route, callback in _views(get_resolver().url_patterns):
        policy = _policy(callback)
        if policy is None and not _module(callback).startswith(SELF_GOVERNED_MODULES):
            undeclared.append(f"{route} ({_module(callback)}{callback.__name__})")
        if policy is not None:
            assert policy <= POLICIES, route
    assert undeclared == []


def test_the_check_catches_an_undeclared_view():
    def naked(request):
        raise AssertionError

    assert _policy(naked) is None and not _module(naked).startswith(SELF_GOVERNED_MODULES)


# (path, anonymous, member, staff, accountant) — expected status codes.
MATRIX = [
    ("/", 302, 200, 200, 200),
    ("/accountant/", 302, 403, 200, 200),
    ("/api-tokens/", 302, 200, 200, 200),
    ("/admin/", 302, 403, 200, 403),
    ("/api/v1/me/", 401, 200, 200, 200),
    ("/api/v1/cooperative/", 401, 200, 200, 200),
    ("/api/v1/members/", 401, 200, 200, 200),
    ("/api/schema/", 200, 200, 200, 200),
    ("/api/docs/", 200, 200, 200, 200),
    ("/healthz", 200, 200, 200, 200),
]


@pytest.mark.django_db
@pytest.mark.parametrize("path,anonymous,member,staff,accountant", MATRIX)
def test_role_matrix(client, alice, sabine, bob, path, anonymous, member, staff, accountant):
    def status(persona):
        client.logout()
        if persona:
            client.force_login(persona.user)
        return client.get(path, follow=path == "/admin/").status_code

    observed = (status(None), status(alice), status(sabine), status(bob))
    if path == "/admin/":
        observed = (302, *observed[1:])  # anonymous: followed to the allauth login page
    assert observed == (anonymous, member, staff, accountant)
