"""Who is acting, for which cooperative, with which roles: resolved once per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from allauth.mfa.utils import is_mfa_enabled

from tenancy.models import Cooperative, Membership, Role

# Roles that reach money and personal data of others: they count only once MFA is set up (R17).
MFA_ROLES = frozenset({Role.STAFF.value, Role.ACCOUNTANT.value})
SESSION_KEY = "smartcoop_active_cooperative"


@dataclass(frozen=True)
class TenantContext:
    cooperative: Cooperative | None = None
    roles: frozenset[str] = frozenset()
    # Roles the person holds but cannot use yet because MFA is not set up.
    roles_awaiting_mfa: frozenset[str] = frozenset()
    cooperatives: tuple[Cooperative, ...] = field(default_factory=tuple)
    roles_by_cooperative: dict[int, frozenset[str]] = field(default_factory=dict)
    is_operator: bool = False

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def needs_mfa(self) -> bool:
        return bool(self.roles_awaiting_mfa)

    @property
    def is_privileged_anywhere(self) -> bool:
        """Staff or accountant in any cooperative, or an operator (MFA set up or not)."""
        return (
            self.is_operator
            or self.needs_mfa
            or any(roles & MFA_ROLES for roles in self.roles_by_cooperative.values())
        )


ANONYMOUS = TenantContext()


def available_cooperatives(user) -> tuple[list[Cooperative], dict[int, set[str]]]:
    """Cooperatives the person may act in, and their roles there (needs a user scope)."""
    roles: dict[int, set[str]] = {}
    cooperatives: dict[int, Cooperative] = {}
    memberships = Membership.of_current_user.filter(
        is_active=True, cooperative__is_active=True
    ).select_related("cooperative")
    for membership in memberships:
        cooperatives[membership.cooperative_id] = membership.cooperative
        roles.setdefault(membership.cooperative_id, set()).add(membership.role)
    if user.is_superuser and is_mfa_enabled(user):
        for cooperative in Cooperative.objects.filter(is_active=True):
            cooperatives.setdefault(cooperative.pk, cooperative)
    return sorted(cooperatives.values(), key=lambda c: c.legal_name), roles


def find_cooperative(user, wanted: str, cooperatives: list[Cooperative]) -> Cooperative | None:
    """The cooperative named by slug or id, if the person may act in it; None looks like unknown."""
    for cooperative in cooperatives:
        if wanted in (cooperative.slug, str(cooperative.pk)):
            return cooperative
    return None


def build_context(user, cooperative: Cooperative | None, cooperatives, roles_by_coop):
    held_roles = {pk: frozenset(roles) for pk, roles in roles_by_coop.items()}
    # Operators, like staff, act only once MFA is set up.
    is_operator = user.is_superuser and is_mfa_enabled(user)
    if cooperative is None:
        return TenantContext(
            cooperatives=tuple(cooperatives),
            roles_by_cooperative=held_roles,
            is_operator=is_operator,
        )
    held = set(roles_by_coop.get(cooperative.pk, set()))
    if user.is_superuser:
        # Platform operators act as staff in whichever cooperative they switch to.
        held.add(Role.STAFF.value)
    needs_mfa = held & MFA_ROLES
    if needs_mfa and (is_operator or is_mfa_enabled(user)):
        needs_mfa = set()
    return TenantContext(
        cooperative=cooperative,
        roles=frozenset(held - needs_mfa),
        roles_awaiting_mfa=frozenset(needs_mfa),
        cooperatives=tuple(cooperatives),
        roles_by_cooperative=held_roles,
        is_operator=is_operator,
    )
