"""The member register entry of a person in one cooperative.

The membership issue extends this with the application, shares and employment data; for now it
holds what the member register (GenG § 30) and the portal need to identify a member.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantModel, track_tenant_model


class Member(TenantModel):
    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Left")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    member_number = models.PositiveIntegerField(_("member number"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.APPLICANT
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["member_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "member_number"], name="member_number_unique_per_coop"
            ),
            models.UniqueConstraint(fields=["cooperative", "user"], name="member_user_unique"),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(joined_on__isnull=False, left_on__gte=models.F("joined_on")),
                name="member_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_number} {self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


track_tenant_model(model_name="MemberEvent")(Member)
