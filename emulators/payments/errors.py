"""Errors the acquirer answers with: an HTTP status and a machine-readable body."""

from __future__ import annotations

from typing import Any


class AcquirerError(Exception):
    def __init__(self, status: int, type_: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"type": self.type, "message": str(self), **self.extra}}


def declined(code: str) -> AcquirerError:
    return AcquirerError(402, "card_declined", "The card was declined.", decline_code=code)


def not_found(hold_id: str) -> AcquirerError:
    return AcquirerError(404, "authorization_not_found", f"no authorization {hold_id}")


def invalid(message: str) -> AcquirerError:
    return AcquirerError(400, "invalid_request", message)
