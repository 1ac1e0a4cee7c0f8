"""The one exception type services raise when a business rule is broken."""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(self, message: str, *, code: str = "invalid", extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}
