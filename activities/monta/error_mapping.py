"""Monta client errors -> Temporal ApplicationErrors the workflow branches on (pure).

4xx other than 408/409/429 -> non-retryable MontaClientError(details=[errorCode, status]);
429 -> retryable MontaRateLimited with next_retry_delay = ResetsIn;
5xx, 408, 409, transport errors, timeouts, unreadable bodies -> retryable MontaUnavailable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from temporalio.exceptions import ApplicationError

from activities.monta.errors import (
    MontaApiError,
    MontaError,
    MontaRateLimited,
    MontaScopeError,
    MontaTransportError,
)
from workflows.contracts import (
    ERR_CHARGE_POINT_UNAVAILABLE,
    ERR_MONTA_CLIENT,
    ERR_MONTA_RATE_LIMITED,
    ERR_MONTA_UNAVAILABLE,
)

RETRYABLE_4XX = frozenset({408, 409, 429})
MIN_RETRY_DELAY = timedelta(milliseconds=100)

# Start rejections that mean "not this charge point, not now": the session ends start_failed.
# Monta does not document them; these are the codes seen in clients and the emulator.
CHARGE_POINT_UNAVAILABLE_CODES = frozenset(
    {
        "RESOURCE_NOT_FOUND",
        "CHARGE_POINT_NOT_FOUND",
        "CHARGE_POINT_BUSY",
        "CHARGE_POINT_OFFLINE",
        "CHARGE_POINT_DISCONNECTED",
        "CHARGE_POINT_UNAVAILABLE",
        "CHARGE_POINT_NOT_AVAILABLE",
        "CHARGE_POINT_IN_USE",
    }
)


def is_charge_point_unavailable(exc: MontaApiError) -> bool:
    if not exc.is_client_error or exc.http_status == 429:
        return False
    code = (exc.error_code or "").upper()
    return code in CHARGE_POINT_UNAVAILABLE_CODES or code.startswith("CHARGE_POINT_")


def charge_point_unavailable(exc: MontaApiError) -> ApplicationError:
    return ApplicationError(
        f"charge point unavailable: {exc}",
        exc.error_code,
        type=ERR_CHARGE_POINT_UNAVAILABLE,
        non_retryable=True,
    )


def to_application_error(exc: MontaError) -> ApplicationError:
    if isinstance(exc, MontaRateLimited):
        delay = None
        if exc.retry_after_s is not None:
            delay = max(timedelta(seconds=exc.retry_after_s), MIN_RETRY_DELAY)
        return ApplicationError(
            str(exc),
            exc.error_code,
            exc.http_status,
            type=ERR_MONTA_RATE_LIMITED,
            next_retry_delay=delay,
        )
    if isinstance(exc, MontaApiError):
        if exc.is_client_error and exc.http_status not in RETRYABLE_4XX:
            return ApplicationError(
                str(exc), exc.error_code, exc.http_status, type=ERR_MONTA_CLIENT, non_retryable=True
            )
        return ApplicationError(
            str(exc), exc.error_code, exc.http_status, type=ERR_MONTA_UNAVAILABLE
        )
    if isinstance(exc, MontaScopeError):
        return ApplicationError(str(exc), "SCOPE", 403, type=ERR_MONTA_CLIENT, non_retryable=True)
    if isinstance(exc, MontaTransportError):
        kind = "TIMEOUT" if exc.is_timeout else "TRANSPORT"
        return ApplicationError(str(exc), kind, type=ERR_MONTA_UNAVAILABLE)
    return ApplicationError(str(exc), "PROTOCOL", type=ERR_MONTA_UNAVAILABLE)


@contextmanager
def monta_errors() -> Iterator[None]:
    """Re-raise any Monta error inside the block as the mapped ApplicationError."""
    try:
        yield
    except MontaError as exc:
        raise to_application_error(exc) from exc
