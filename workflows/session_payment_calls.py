"""What the session asks the acquirer: place (or verify) the hold, capture it, void it.

Each call's idempotency key is `<workflow id>/<step>` (never the run id), so a retried
activity, a replay or a run after continue-as-new cannot move money twice. Workflow code
only; queues, timeouts and retries are in session_calls.py.
"""

from __future__ import annotations

from temporalio import workflow

from core.money import Money
from workflows.contracts import (
    PAYMENTS_AUTHORIZE,
    PAYMENTS_CAPTURE,
    PAYMENTS_INCREMENT,
    PAYMENTS_VERIFY,
    PAYMENTS_VOID,
    Authorization,
    AuthorizeInput,
    CaptureInput,
    CaptureResult,
    IncrementInput,
    IncrementResult,
    SessionConfig,
    SessionRequest,
    VerifyInput,
    VoidInput,
    VoidResult,
)
from workflows.increments import first_hold
from workflows.session_calls import payment


def _key(step: str) -> str:
    return f"{workflow.info().workflow_id}/{step}"


async def reserve(request: SessionRequest) -> Authorization:
    """The terminal's card-present hold is verified; a vault token is authorized here."""
    if request.authorization_ref is not None:
        return await payment(
            request.config,
            PAYMENTS_VERIFY,
            VerifyInput(
                authorization_ref=request.authorization_ref, idempotency_key=_key("verify")
            ),
            Authorization,
            "verify the terminal's hold",
        )
    assert request.payment_token is not None  # SessionRequest holds exactly one of the two
    amount = first_hold(request.amount, request.config)  # the start's amount, or less
    return await payment(
        request.config,
        PAYMENTS_AUTHORIZE,
        AuthorizeInput(
            payment_token=request.payment_token,
            amount=amount,
            idempotency_key=_key("authorize"),
        ),
        Authorization,
        f"authorize {amount}",
    )


async def capture(
    config: SessionConfig, authorization: Authorization, amount: Money, step: str = "capture"
) -> CaptureResult:
    """`step` names the idempotency key: an operator's capture of another amount is a
    different request (`capture/<request id>`), a retry of the same one is not."""
    return await payment(
        config,
        PAYMENTS_CAPTURE,
        CaptureInput(
            authorization_id=authorization.authorization_id,
            amount=amount,
            idempotency_key=_key(step),
        ),
        CaptureResult,
        f"capture {amount} of {authorization.amount}",
    )


async def void(config: SessionConfig, authorization: Authorization) -> VoidResult:
    return await payment(
        config,
        PAYMENTS_VOID,
        VoidInput(authorization_id=authorization.authorization_id, idempotency_key=_key("void")),
        VoidResult,
        f"void hold of {authorization.amount}",
    )


async def increment(
    config: SessionConfig, authorization: Authorization, extra: Money, number: int
) -> Authorization:
    """The `number`th increment of this session's hold: its own key (`increment/<n>`), so a
    retry after a lost answer replays it instead of raising the hold twice."""
    result = await payment(
        config,
        PAYMENTS_INCREMENT,
        IncrementInput(
            authorization_id=authorization.authorization_id,
            extra=extra,
            idempotency_key=_key(f"increment/{number}"),
        ),
        IncrementResult,
        f"increment {authorization.amount} by {extra}",
        window_s=config.increment_timeout_s,
    )
    return result.authorization
