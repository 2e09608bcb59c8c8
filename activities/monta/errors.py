"""Typed Monta errors, built from the `{status, message, errorCode, readableMessage, context}`
error body every Partner API endpoint returns."""

from __future__ import annotations

from typing import Any

import httpx


class MontaError(Exception):
    """Base of everything the Monta client raises."""


class MontaApiError(MontaError):
    """Monta answered with a non-2xx status."""

    def __init__(
        self,
        http_status: int,
        *,
        error_code: str | None = None,
        message: str = "",
        readable_message: str | None = None,
        context: Any = None,
        endpoint: str = "",
    ) -> None:
        self.http_status = http_status
        self.error_code = error_code
        self.message = message
        self.readable_message = readable_message
        self.context = context
        self.endpoint = endpoint
        super().__init__(
            f"Monta {endpoint or 'request'}: HTTP {http_status} {error_code}: {message}"
        )

    @property
    def is_client_error(self) -> bool:
        return 400 <= self.http_status < 500

    @property
    def is_server_error(self) -> bool:
        return self.http_status >= 500


class MontaClientError(MontaApiError):
    """4xx: the request was wrong (or not allowed); retrying the same request will not help,
    except for 408/409 (callers decide) and 429 (see MontaRateLimited)."""


class MontaRateLimited(MontaClientError):
    """429: the credential's quota for the current window is used up."""

    def __init__(self, http_status: int, *, resets_in_s: float | None, **kw: Any) -> None:
        self.resets_in_s = resets_in_s  # as Monta reports it: real-world seconds
        # Wall-clock seconds to wait; the client divides by TIME_SCALE (equal in production).
        self.retry_after_s = resets_in_s
        super().__init__(http_status, **kw)


class MontaServerError(MontaApiError):
    """5xx: Monta failed; the request may or may not have taken effect."""


class MontaTransportError(MontaError):
    """No HTTP answer at all: connection refused/reset, or a timeout."""

    def __init__(self, endpoint: str, cause: Exception) -> None:
        self.endpoint = endpoint
        self.is_timeout = isinstance(cause, httpx.TimeoutException)
        kind = "timeout" if self.is_timeout else type(cause).__name__
        super().__init__(f"Monta {endpoint}: {kind}: {cause}")


class MontaScopeError(MontaError):
    """The operator's credential is wrong or lacks a scope chargepay cannot work without."""


class MontaProtocolError(MontaError):
    """Monta answered 2xx with a body we cannot read (not JSON, wrong shape)."""


def _resets_in(response: httpx.Response, body: dict[str, Any]) -> float | None:
    header = response.headers.get("RateLimit-ResetsIn")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    ctx = body.get("context")
    if isinstance(ctx, dict):
        rl = ctx.get("rateLimitResponse")
        if isinstance(rl, dict) and rl.get("resetsIn") is not None:
            try:
                return max(0.0, float(rl["resetsIn"]))
            except (TypeError, ValueError):
                return None
    return None


def error_from_response(response: httpx.Response, body: Any, endpoint: str = "") -> MontaApiError:
    """The typed error for a non-2xx answer; `body` is the decoded JSON (or anything else)."""
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    status = response.status_code
    kw: dict[str, Any] = {
        "error_code": data.get("errorCode") or data.get("code") or data.get("status"),
        "message": str(data.get("message") or response.reason_phrase or ""),
        "readable_message": data.get("readableMessage"),
        "context": data.get("context"),
        "endpoint": endpoint,
    }
    if status == 429:
        return MontaRateLimited(status, resets_in_s=_resets_in(response, data), **kw)
    if 400 <= status < 500:
        return MontaClientError(status, **kw)
    if status >= 500:
        return MontaServerError(status, **kw)
    return MontaApiError(status, **kw)
