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


def check_digest(stored: str | None, offered: str | None) -> None:
    """Refuse a request whose body differs from the one the session was started with.
    Either side missing (a session started without the API, a caller that offers none)
    is no evidence of reuse."""
    if stored is not None and offered is not None and stored != offered:
        raise ApplicationError(
            "this terminal_transaction_id was used for a different request",
            type=KEY_REUSED,
            non_retryable=True,
        )
