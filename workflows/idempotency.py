"""The terminal's idempotency key: one request body per session id.

The API stores a SHA-256 of the start request's body in the session's memo (`MEMO_DIGEST`)
and offers the digest of every request with that id to the `wait_accepted` update. The
session's validator refuses another body, so a reused transaction id never joins a running
session, and the API needs no read of the session before or after its update-with-start.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

MEMO_DIGEST = "request_sha256"
KEY_REUSED = "IdempotencyKeyReused"


REUSED_MESSAGE = "this terminal_transaction_id was used for a different request"


def reused(stored: str | None, offered: str | None) -> bool:
    """The request's body differs from the one the session was started with. Either side
    missing (a session started without the API, a caller that offers none) is no evidence
    of reuse. The API applies the same rule to a finished session (api/session_service)."""
    return stored is not None and offered is not None and stored != offered


def check_digest(stored: str | None, offered: str | None) -> None:
    """The `wait_accepted` validator's refusal of a reused key."""
    if reused(stored, offered):
        raise ApplicationError(REUSED_MESSAGE, type=KEY_REUSED, non_retryable=True)
