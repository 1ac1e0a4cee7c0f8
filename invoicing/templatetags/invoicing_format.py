from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def quantity(value) -> str:
    """37.500 → “37,5” (de) / “37.5” (en); whole numbers without decimals."""
    if value is None:
        return ""
    plain = Decimal(format(Decimal(value).normalize(), "f"))
    return formats.number_format(plain, use_l10n=True, force_grouping=True)
