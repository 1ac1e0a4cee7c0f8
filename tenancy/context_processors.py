from django.conf import settings
from django.utils.translation import get_language_bidi

from tenancy.context import ANONYMOUS


def tenancy(request):
    context = getattr(request, "tenancy", ANONYMOUS)
    cooperative = context.cooperative
    return {
        "tenancy": context,
        "cooperative": cooperative,
        "brand_colour": cooperative.colour if cooperative else "#1f5f8b",
        "LANGUAGES_AVAILABLE": settings.LANGUAGES,
        "is_rtl": get_language_bidi(),
    }
