"""Writes on cooperatives, people, roles and API tokens."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from tenancy.models import ApiToken, Cooperative, CooperativeSettings, Membership, User
from tenancy.scope import tenant_scope

API_TOKEN_MAX_DAYS = 365


def cooperative_create(*, slug: str, legal_name: str, iban: str, **fields) -> Cooperative:
    """Create a cooperative with its settings area."""
    cooperative = Cooperative(slug=slug, legal_name=legal_name, iban=iban, **fields)
    cooperative.full_clean()
    with transaction.atomic():
        cooperative.save()
        with tenant_scope(cooperative):
            CooperativeSettings.objects.create(cooperative=cooperative)
    return cooperative


def _user_validate(user: User, message: str) -> None:
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ApplicationError(message, extra=exc.message_dict) from exc


def user_create(
    *, email: str, password: str | None, full_name: str = "", language: str = ""
) -> User:
    user = User(email=email.strip().lower(), full_name=full_name, language=language)
    user.set_password(password)
    _user_validate(user, _("The person could not be created."))
    user.save()
    return user


def membership_grant(*, cooperative: Cooperative, user: User, role: str) -> Membership:
    """Give a person a role in a cooperative (idempotent: an existing role is reactivated)."""
    with tenant_scope(cooperative):
        membership, created = Membership.objects.get_or_create(
            cooperative=cooperative, user=user, role=role, defaults={"is_active": True}
        )
        if not created and not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
    return membership


def membership_revoke(*, membership: Membership) -> Membership:
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    return membership


def api_token_create(
    *, user: User, name: str, valid_days: int, access: str = ApiToken.Access.READ
) -> tuple[ApiToken, str]:
    """Create a personal API token; the returned secret string is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the token a name."), code="name_required")
    if not 1 <= valid_days <= API_TOKEN_MAX_DAYS:
        raise ApplicationError(
            _("A token is valid for 1 to %(max)d days.") % {"max": API_TOKEN_MAX_DAYS},
            code="invalid_validity",
        )
    if access not in ApiToken.Access.values:
        raise ApplicationError(_("Choose read or read and write."), code="invalid_access")
    key_id, secret, raw = ApiToken.new_key()
    token = ApiToken(
        user=user,
        name=name[:100],
        access=access,
        key_id=key_id,
        expires_at=timezone.now() + timedelta(days=valid_days),
    )
    token.set_secret(secret)
    token.save()
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_tokens_purge_expired(*, older_than_days: int = 90) -> int:
    """Delete tokens that expired or were revoked more than `older_than_days` ago."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    expired = ApiToken.objects.filter(expires_at__lt=cutoff)
    revoked = ApiToken.objects.filter(revoked_at__lt=cutoff)
    deleted, _detail = (expired | revoked).delete()
    return deleted


def user_update_profile(
    *, user: User, full_name: str | None = None, language: str | None = None
) -> User:
    """Change a person's own name or language; only the given fields are written."""
    changed = []
    if full_name is not None:
        user.full_name = full_name.strip()
        changed.append("full_name")
    if language is not None:
        user.language = language
        changed.append("language")
    if changed:
        _user_validate(user, _("The profile could not be saved."))
        user.save(update_fields=changed)
    return user
