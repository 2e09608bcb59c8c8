"""What the session asks Monta: the tariff, the start, the receipt's payment details.

The start is the one call that must not be blindly retried (a second POST /charges could
start a second charge): an unknown outcome is looked up by the session's id first. Workflow
code only; queues, timeouts and retries are in session_calls.py.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

from core.money import Money
from workflows.activity_errors import error_type, failure_text
from workflows.contracts import (
    ERR_CHARGE_POINT_UNAVAILABLE,
    ERR_MONTA_CLIENT,
    MONTA_ATTACH_PAYMENT,
    MONTA_FIND_CHARGE,
    MONTA_GET_TARIFF,
    MONTA_START_CHARGE,
    AttachPaymentInput,
    Authorization,
    ChargeSnapshot,
    FindChargeInput,
    GetTariffInput,
    PaymentSessionInfo,
    StartChargeInput,
    TariffQuote,
)
from workflows.session_calls import MONTA_START_RETRY, monta
from workflows.session_data import SessionData
from workflows.session_models import SessionRequest

MAX_START_ATTEMPTS = 5
# Monta's definitive refusals: the charge point cannot start, or the request is wrong.
START_REJECTIONS = (ERR_CHARGE_POINT_UNAVAILABLE, ERR_MONTA_CLIENT)


class StartRejected(Exception):
    """No charge was started: Monta refused, or no start could be confirmed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # the session's machine-readable `reason`
        self.message = message


def payment_session(
    request: SessionRequest, authorization: Authorization | None
) -> PaymentSessionInfo:
    """How Monta's receipt names the payment: the short code and the card, preferring what
    the acquirer reported over what the terminal sent."""
    auth = authorization
    return PaymentSessionInfo(
        provider=request.config.provider_slug,
        external_id=request.short_code(),
        card_brand=(auth.card_brand if auth else None) or request.card_brand,
        card_last4=(auth.card_last4 if auth else None) or request.card_last4,
    )


async def read_tariff(request: SessionRequest) -> TariffQuote:
    """Only for a bare start: starts the API priced carry its quote (SessionRequest.tariff).
    The request is in the history, so a replay takes the same path."""
    return await monta(
        request.config,
        MONTA_GET_TARIFF,
        GetTariffInput(operator=request.operator, charge_point_id=request.charge_point_id),
        TariffQuote,
        f"tariff of CP {request.charge_point_id}",
    )


async def start_charge(request: SessionRequest, data: SessionData) -> ChargeSnapshot:
    """POST /charges at most once per known outcome: after a failure whose outcome is unknown
    the charge is looked up by the session's id before the next attempt. Each such failure
    is kept in `data.last_error`; raises StartRejected when no charge was started."""
    assert data.budget is not None and data.tariff is not None
    session_id = workflow.info().workflow_id
    start = StartChargeInput(
        operator=request.operator,
        charge_point_id=request.charge_point_id,
        paying_team_id=request.paying_team_id or 0,  # the session checked it before the hold
        partner_external_id=session_id,
        kwh_limit=data.budget.kwh_limit,
        price_limit_minor=data.budget.price_limit.amount_minor,
        currency=data.budget.price_limit.currency,
        price_group_id=data.tariff.price_group_id,
        payment_session=payment_session(request, data.authorization),
    )
    find = FindChargeInput(operator=request.operator, partner_external_id=session_id)
    for attempt in range(MAX_START_ATTEMPTS):
        try:
            return await monta(
                request.config,
                MONTA_START_CHARGE,
                start,
                ChargeSnapshot,
                f"start CP {request.charge_point_id}, cap {start.kwh_limit} kWh",
                retry=MONTA_START_RETRY,
            )
        except ActivityError as exc:
            kind, detail = error_type(exc)
            if kind in START_REJECTIONS:
                raise StartRejected(detail or kind or "rejected", str(exc.cause)) from exc
            data.last_error = failure_text(exc)
        found = await monta(
            request.config,
            MONTA_FIND_CHARGE,
            find,
            ChargeSnapshot | None,  # type: ignore[arg-type]
            "look up the charge after an unknown start outcome",
        )
        if found is not None:
            return found
        await workflow.sleep(timedelta(seconds=2**attempt))
    raise StartRejected("monta_unavailable", data.last_error or "start failed")


async def attach_receipt(request: SessionRequest, data: SessionData, captured: Money) -> None:
    """Put the captured amount on Monta's receipt of the charge."""
    assert data.charge_id is not None
    await monta(
        request.config,
        MONTA_ATTACH_PAYMENT,
        AttachPaymentInput(
            operator=request.operator,
            charge_id=data.charge_id,
            payment_session=payment_session(request, data.authorization),
            captured=captured,
        ),
        object,
        f"attach {captured} to charge {data.charge_id}",
    )
