"""File downloads: always an attachment, never sniffed into something the browser would run."""

from __future__ import annotations

from django.http import HttpResponse


def attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def binary_responses(*content_types: str) -> dict:
    """OpenAPI responses of a download that answers one of `content_types` (drf-spectacular)."""
    from drf_spectacular.types import OpenApiTypes

    return {(200, content_type): OpenApiTypes.BINARY for content_type in content_types}
