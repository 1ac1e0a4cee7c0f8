"""Demo data: two cooperatives with staff, an accountant and members. Safe to run again.

Prints one line per demo account: `login: EMAIL PASSWORD ROLE COOPERATIVE_SLUG`.
"""

from __future__ import annotations

from datetime import date

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from members.models import Member
from members.services import member_create
from tenancy import services
from tenancy.models import Cooperative, Role, User
from tenancy.scope import tenant_scope

DEMO_PASSWORD = "demo-Genossenschaft-2026"  # noqa: S105 - public demo accounts, printed on purpose

COOPERATIVES = [
    {
        "slug": "smart-demo",
        "legal_name": "Smart Demo eG",
        "street": "Kopenhagener Straße 12",
        "postal_code": "10437",
        "city": "Berlin",
        "vat_id": "DE136695976",
        "tax_number": "1181508150",
        "register_court": "Amtsgericht Charlottenburg",
        "register_number": "GnR 999 B",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "colour": "#c0392b",
    },
    {
        "slug": "coop-nord",
        "legal_name": "Coop Nord eG",
        "street": "Hafenstraße 5",
        "postal_code": "20459",
        "city": "Hamburg",
        "vat_id": "DE811907980",
        "tax_number": "2181508150",
        "register_court": "Amtsgericht Hamburg",
        "register_number": "GnR 1234",
        "iban": "DE02120300000000202051",
        "bic": "BYLADEM1001",
        "colour": "#1f5f8b",
    },
]

# (email local part, full name, role, language)
PEOPLE = [
    ("staff", "Sabine Stahl", Role.STAFF, "de"),
    ("accountant", "Anton Berger", Role.ACCOUNTANT, "de"),
    ("member", "Mira Kowalska", Role.MEMBER, "pl"),
    ("member2", "Olena Shevchenko", Role.MEMBER, "uk"),
]


class Command(BaseCommand):
    help = "Create (or complete) the demo cooperatives and accounts, and print their logins."

    def handle(self, *args, **options):
        lines: list[str] = []
        with transaction.atomic():
            operator = self._user("operator@smartcoop.example", "Olivia Operator", "en")
            if not operator.is_superuser:
                operator.is_superuser = operator.is_staff = True
                operator.save(update_fields=["is_superuser", "is_staff"])
            lines.append(f"login: {operator.email} {DEMO_PASSWORD} operator *")
            for data in COOPERATIVES:
                cooperative = Cooperative.objects.filter(slug=data["slug"]).first()
                if cooperative is None:
                    cooperative = services.cooperative_create(**data)
                for local, full_name, role, language in PEOPLE:
                    email = f"{local}@{cooperative.slug}.example"
                    user = self._user(email, full_name, language)
                    services.membership_grant(cooperative=cooperative, user=user, role=role)
                    if role == Role.MEMBER:
                        self._member(cooperative, user, full_name)
                    lines.append(f"login: {email} {DEMO_PASSWORD} {role.value} {cooperative.slug}")
        for line in lines:
            self.stdout.write(line)

    def _user(self, email: str, full_name: str, language: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = services.user_create(
                email=email, password=DEMO_PASSWORD, full_name=full_name, language=language
            )
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _member(self, cooperative: Cooperative, user: User, full_name: str) -> None:
        with tenant_scope(cooperative):
            if Member.objects.filter(user=user).exists():
                return
        first, last = full_name.split(" ", 1)
        member_create(
            cooperative=cooperative,
            user=user,
            first_name=first,
            last_name=last,
            status=Member.Status.ACTIVE,
            joined_on=date(2026, 1, 1),
        )
