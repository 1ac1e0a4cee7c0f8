from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

COOPERATIVE_HEADER = OpenApiParameter(
    name="X-Cooperative",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Short name (slug) of the cooperative to act in, for people in several. Without it: the "
        "one chosen in the browser session, or the person's first cooperative. A cooperative "
        "you do not belong to answers 404 `unknown_cooperative`, like one that does not exist."
    ),
)


class AutoSchema(BaseAutoSchema):
    """Documents the X-Cooperative header on every operation."""

    def get_override_parameters(self):
        return [*super().get_override_parameters(), COOPERATIVE_HEADER]
