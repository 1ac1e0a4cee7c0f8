"""The API's error body, shared by DRF views, middleware and error pages."""

from __future__ import annotations

from typing import Any


def error_payload(code: str, message: str, details: Any = None) -> dict:
    """{"error": {"code": ..., "message": ..., "details": ...}}; details only when given."""
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if details:
        body["details"] = details
    return {"error": body}
