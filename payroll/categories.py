"""Salary categories: fixed monthly salaries a member may choose instead of the averaged one.

A choice is checked when it is made: the category's employer cost (for the member's own tax and
insurance data) must not exceed what the budget and the forecast sustain per month — the planner
over the cooperative's averaging period, counting open invoices and confirmed jobs but not jobs
the client has not confirmed. The payroll checks again every month against the budget itself and
pays less (with a warning) rather than overdraw it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from members.models import Member
from payroll import planner, selectors
from payroll.calculation import gross_to_net
from payroll.models import SalaryCategory, SalaryCategoryChoice, SalaryRule
from tenancy.models import User

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")


@dataclass
class CategoryOption:
    category: SalaryCategory
    gross: Decimal
    net: Decimal
    employer_cost: Decimal
    sustainable: bool


@dataclass
class CategoryOffer:
    offered: bool  # the cooperative's rule lets members choose
    months: int  # the forecast period of the check
    sustainable_employer_cost: Decimal | None  # None: tax data missing
    chosen: SalaryCategoryChoice | None
    options: list[CategoryOption]


def salary_category_offer(*, member: Member, today: date | None = None) -> CategoryOffer:
    """The categories the member may choose, each priced for them and checked."""
    from payroll.services import employee_of, levies_of, month_start, payroll_settings

    today = today or timezone.localdate()
    settings = payroll_settings(cooperative=member.cooperative)
    chosen = SalaryCategoryChoice.objects.filter(member=member).select_related("category").first()
    offered = settings.salary_rule != SalaryRule.AVERAGE
    offer = CategoryOffer(offered, settings.averaging_months, None, chosen, [])
    if not offered:
        return offer
    plan = planner.salary_plan(
        member=member,
        what_if=planner.WhatIf(months=settings.averaging_months, include_planned=False),
        today=today,
    )
    if plan.sustainable is None:
        return offer
    offer.sustainable_employer_cost = plan.sustainable.employer_cost
    month = month_start(today)
    inputs = selectors.member_inputs(
        members=[member], month=month, months=settings.averaging_months
    )[0]
    rates = selectors.rates_on(day=selectors.month_end(month))
    employee = employee_of(inputs.employment, settings.state, inputs.insurer)
    levies = levies_of(settings, inputs.insurer)
    for category in SalaryCategory.objects.filter(active=True):
        result = gross_to_net(category.gross, employee, rates, levies)
        offer.options.append(
            CategoryOption(
                category=category,
                gross=result.gross,
                net=result.net,
                employer_cost=result.employer_cost,
                sustainable=result.employer_cost <= plan.sustainable.employer_cost,
            )
        )
    return offer


def salary_category_choose(
    *, member: Member, category: SalaryCategory | None, actor: User, today: date | None = None
) -> SalaryCategoryChoice | None:
    """Choose a category (checked against budget and forecast), or none to go back to the
    cooperative's averaging rule. Takes effect with the next payroll draft."""
    if member.status != Member.Status.ACTIVE:
        raise ApplicationError(
            _("Only active members can choose a salary category."), code="member_not_active"
        )
    offer = salary_category_offer(member=member, today=today)
    if not offer.offered:
        raise ApplicationError(
            _("This cooperative does not offer salary categories."), code="categories_not_offered"
        )
    with transaction.atomic():
        # The member's row, not the choice's: with no choice yet there is no row to lock, and two
        # submits at once would both insert.
        Member.objects.select_for_update().filter(pk=member.pk).first()
        current = SalaryCategoryChoice.objects.filter(member=member).first()
        if category is None:
            if current is not None:
                current.delete()
                logger.info("member %s left their salary category", member.pk)
            return None
        option = next((o for o in offer.options if o.category.pk == category.pk), None)
        if offer.sustainable_employer_cost is None:
            raise ApplicationError(
                _("Enter your tax class first: the check needs your tax data."),
                code="no_tax_data",
            )
        if option is None:
            raise ApplicationError(
                _("This category is not offered any more."), code="category_not_offered"
            )
        if not option.sustainable:
            raise ApplicationError(
                _(
                    "The category costs %(cost)s € a month; your budget and forecast sustain "
                    "%(sustainable)s € a month over the next %(months)s months."
                )
                % {
                    "cost": option.employer_cost,
                    "sustainable": offer.sustainable_employer_cost,
                    "months": offer.months,
                },
                code="category_not_sustainable",
            )
        values = {
            "category": category,
            "chosen_at": timezone.now(),
            "chosen_by": actor,
            "employer_cost": option.employer_cost,
            "sustainable": offer.sustainable_employer_cost,
        }
        if current is None:
            current = SalaryCategoryChoice.objects.create(member=member, **values)
        else:
            for name, value in values.items():
                setattr(current, name, value)
            current.save()
    logger.info("member %s chose salary category %s", member.pk, category.pk)
    return current
