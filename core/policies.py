"""Role policies: every view says who may use it (R18).

    @role_policy(MEMBER, STAFF)
    def dashboard(request): ...

    class MemberListApi(APIView):
        role_policy = frozenset({STAFF, ACCOUNTANT})

Roles are checked against `request.tenancy` (the active cooperative's roles, see
tenancy/context.py). A view without a declared policy is refused by the API permission and makes
tests/core/test_policies.py fail.
"""

from __future__ import annotations

from functools import wraps
from inspect import isclass

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

PUBLIC = "public"
AUTHENTICATED = "authenticated"
MEMBER = "member"
STAFF = "staff"
ACCOUNTANT = "accountant"
OPERATOR = "operator"
ROLES = frozenset({MEMBER, STAFF, ACCOUNTANT})
POLICIES = frozenset({PUBLIC, AUTHENTICATED, OPERATOR}) | ROLES


def allows(request, policy: frozenset[str]) -> bool:
    if PUBLIC in policy:
        return True
    user = request.user
    if not user.is_authenticated:
        return False
    if AUTHENTICATED in policy:
        return True
    tenancy = getattr(request, "tenancy", None)
    if OPERATOR in policy and tenancy is not None and tenancy.is_operator:
        return True
    return tenancy is not None and tenancy.has_any(*(policy & ROLES))


def role_policy(*allowed: str):
    unknown = set(allowed) - POLICIES
    if not allowed or unknown:
        raise ValueError(f"role_policy() needs roles from {sorted(POLICIES)}, got {allowed}")
    policy = frozenset(allowed)

    def decorator(view):
        if isclass(view):
            view.role_policy = policy
            return view

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not allows(request, policy):
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.role_policy = policy
        return wrapped

    return decorator


def declare_policy(view, *allowed: str):
    """Record the policy of a view that enforces access itself (third-party views)."""
    view.role_policy = frozenset(allowed)
    return view


class RolePolicyPermission(BasePermission):
    """Default DRF permission: the view's `role_policy`, and nothing for views without one.
    A view that reads for more roles than may write sets `write_role_policy` as well."""

    message = None

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if request.method not in SAFE_METHODS and getattr(token, "access", None) == "read":
            # A read-only token is refused every write, whatever the person's role allows.
            raise exceptions.PermissionDenied(
                gettext("This API token may only read."), code="token_read_only"
            )
        policy = getattr(view, "role_policy", None)
        if request.method not in SAFE_METHODS and hasattr(view, "write_role_policy"):
            policy = view.write_role_policy
        if policy is None:
            return False
        if PUBLIC not in policy and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        return allows(request, policy)
