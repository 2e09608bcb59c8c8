"""What the session reads from a failed activity: the error type it branches on and the
text it keeps as `last_error` for operators."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError


def error_type(exc: BaseException) -> tuple[str | None, str | None]:
    """(ApplicationError type, first detail) of an activity failure; (None, None) when the
    failure carries no typed error (a timeout, a cancellation)."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError):
        detail = cause.details[0] if cause.details else None
        return cause.type, str(detail) if detail is not None else None
    return None, None


def failure_text(exc: BaseException) -> str:
    """The activity's own error rather than the "activity task failed" wrapper around it."""
    cause = exc.cause if isinstance(exc, ActivityError) else None
    return str(cause or exc)
