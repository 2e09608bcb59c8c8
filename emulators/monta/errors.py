"""Monta's error body: `{status, message, errorCode, readableMessage?, context?}`."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse


class MontaError(Exception):
    def __init__(
        self,
        http_status: int,
        error_code: str,
        message: str,
        *,
        readable: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_code = error_code
        self.message = message
        self.readable = readable
        self.context = context


def error_body(
    http_status: int,
    error_code: str,
    message: str,
    readable: str | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": HTTPStatus(http_status).name,  # enum NAME, e.g. NOT_FOUND
        "message": message,
        "errorCode": error_code,
    }
    if readable is not None:
        body["readableMessage"] = readable
    if context is not None:
        body["context"] = context
    return body


def error_response(exc: MontaError, headers: dict[str, str] | None = None) -> JSONResponse:
    body = error_body(exc.http_status, exc.error_code, exc.message, exc.readable, exc.context)
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


def not_found(what: str) -> MontaError:
    return MontaError(
        404,
        "RESOURCE_NOT_FOUND",
        f"Requested entity/entity provided in body was not found: {what}",
        readable="The requested resource was not found",
    )


def bad_request(message: str, context: dict[str, Any] | None = None) -> MontaError:
    return MontaError(400, "BAD_REQUEST", message, readable="Invalid request", context=context)


def invalid_token() -> MontaError:
    return MontaError(401, "INVALID_ACCESS_TOKEN", "Invalid or expired `accessToken`.")
