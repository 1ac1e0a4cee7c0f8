"""Tenants, people and their roles.

`Cooperative` is the tenant. `User` is global (one login, e-mail based) and reaches a cooperative
only through a `Membership` with a role. Every tenant-owned model inherits `TenantModel`: it carries
`cooperative`, its default manager fails closed outside a tenant scope, and on PostgreSQL its table
gets row-level security (see tenancy/rls.py).
"""

from __future__ import annotations

import hashlib
import secrets
from zoneinfo import available_timezones

import pghistory
import pghistory.models
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import (
    validate_bic,
    validate_de_tax_number,
    validate_hex_colour,
    validate_iban,
    validate_vat_id,
)
from tenancy.managers import OwnMembershipManager, TenantManager
from tenancy.scope import TenantScopeError, current_scope

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in available_timezones())


class Cooperative(models.Model):
    """A cooperative (eG): the tenant. Everything a member does belongs to exactly one."""

    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    legal_name = models.CharField(_("legal name"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="DE")
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True, validators=[validate_vat_id])
    tax_number = models.CharField(
        _("tax number"), max_length=20, blank=True, validators=[validate_de_tax_number]
    )
    register_court = models.CharField(_("register court"), max_length=100, blank=True)
    register_number = models.CharField(_("register number"), max_length=30, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    logo = models.FileField(
        _("logo"),
        upload_to="logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"])],
    )
    colour = models.CharField(
        _("brand colour"), max_length=7, default="#1f5f8b", validators=[validate_hex_colour]
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Berlin"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.legal_name

    def save(self, *args, **kwargs):
        self.iban = self.iban.replace(" ", "").upper()
        self.vat_id = self.vat_id.replace(" ", "").upper()
        self.bic = self.bic.upper()
        super().save(*args, **kwargs)


def cooperative_field(*, db_index: bool = True) -> models.ForeignKey:
    """The tenant column. A high-volume child table looked up by its parent (ledger entries by
    transaction, invoice lines by invoice) passes db_index=False and indexes (cooperative,
    parent) instead: row-level security adds `cooperative_id = …` to every query, and with a
    plain cooperative index the planner walks all of a cooperative's rows whenever its
    statistics underestimate that cooperative (a new or fast-growing one)."""
    return models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=db_index,
        verbose_name=_("cooperative"),
    )


class TenantModel(models.Model):
    """Abstract base of every tenant-owned model."""

    cooperative = cooperative_field()

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        scope = current_scope()
        if self.cooperative_id is None and scope is not None:
            self.cooperative_id = scope.cooperative_id
        if self.cooperative_id is None:
            raise TenantScopeError(f"{self._meta.label} saved without a cooperative")
        if scope is None or (not scope.is_system and scope.cooperative_id != self.cooperative_id):
            # Writing another cooperative's row from this scope is always a bug.
            raise TenantScopeError(f"{self._meta.label} saved outside its cooperative's scope")
        super().save(*args, **kwargs)


class CooperativeSettings(TenantModel):
    """The cooperative's settings area; later features add their own fields here."""

    support_email = models.EmailField(_("support e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    financial_year_start_month = models.PositiveSmallIntegerField(
        _("financial year starts in month"),
        default=1,
        choices=[(m, str(m)) for m in range(1, 13)],
    )

    class Meta:
        verbose_name = _("cooperative settings")
        verbose_name_plural = _("cooperative settings")
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="cooperativesettings_one_per_coop")
        ]

    def __str__(self) -> str:
        return str(_("Settings"))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_superuser", False)
        extra.setdefault("is_staff", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_superuser=True, is_staff=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. One person has one, whatever cooperatives they belong to.

    `is_staff` only marks platform operators (superusers); a cooperative's staff are people with
    a staff `Membership` in that cooperative.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform operator"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    STAFF = "staff", _("Staff")
    ACCOUNTANT = "accountant", _("Accountant")


class Membership(TenantModel):
    """A person's role in one cooperative. Someone may hold several roles or cooperatives."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = TenantManager()
    of_current_user = OwnMembershipManager()

    # Read by tenancy/rls.py: the policy also lets a person see their own memberships.
    rls_user_column = "user_id"

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "user", "role"], name="membership_unique_role"
            )
        ]
        indexes = [models.Index(fields=["user", "cooperative"], name="membership_user_coop")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class SystemScopeEntry(models.Model):
    """Audit record of every use of `system_scope()`."""

    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("system scope entry")
        verbose_name_plural = _("system scope entries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reason


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, *, at=None):
        """Tokens that authenticate now: not revoked and not expired."""
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class ApiToken(models.Model):
    """A personal API token. Only a hash of the secret is stored; it is shown once.

    Tokens belong to a person, not to a cooperative: the cooperative is chosen per request, like
    in the browser, so a token cannot reach a cooperative its owner has no role in.
    """

    PREFIX = "sc"

    class Access(models.TextChoices):
        READ = "read", _("read only")
        WRITE = "write", _("read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    # Tokens made before access levels existed could write; new ones read unless asked.
    access = models.CharField(
        _("access"), max_length=5, choices=Access.choices, default=Access.WRITE
    )
    key_id = models.CharField(_("key id"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @classmethod
    def new_key(cls) -> tuple[str, str, str]:
        """Return (key_id, secret, full token string)."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        return key_id, secret, f"{cls.PREFIX}_{key_id}_{secret}"

    def set_secret(self, secret: str) -> None:
        self.secret_hash = _hash_secret(secret)

    def matches(self, secret: str) -> bool:
        return secrets.compare_digest(self.secret_hash, _hash_secret(secret))

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class TenantEvent(pghistory.models.Event):
    """Base of the audit event models of tenant-owned models: they copy `cooperative`, so their
    tables get row-level security too, and their manager fails closed like the tracked model's."""

    objects = TenantManager()

    class Meta:
        abstract = True


def track_tenant_model(**kwargs):
    """Record every insert, update and delete of a tenant model with actor and request context.

    pghistory writes the events in database triggers, so bulk updates and raw SQL are recorded
    too (ADR 0005); on SQLite (demo only) no triggers are installed.
    """
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        base_model=TenantEvent,
        **kwargs,
    )


track_tenant_model(model_name="MembershipEvent")(Membership)
track_tenant_model(model_name="CooperativeSettingsEvent")(CooperativeSettings)
pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="CooperativeEvent",
)(Cooperative)


class IdempotencyRecord(TenantModel):
    """The answer to a POST sent with an `Idempotency-Key`: the same key again replays it; the
    same key with another request is refused (409). Kept a day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)  # 0: the first request is running
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "user", "key"], name="idempotency_key_unique"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return self.key
