"""What the session asks Monta: the tariff, the start, the receipt's payment details.

The start is the one call that must not be blindly retried (a second POST /charges could
start a second charge): an unknown outcome is looked up by the session's id first. Workflow
code only; queues, timeouts and retries are in session_calls.py.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows.activity_errors import error_type, failure_text
from workflows.contracts import (
    ERR_CHARGE_POINT_UNAVAILABLE,
    ERR_MONTA_CLIENT,
    MONTA_ATTACH_PAYMENT,
    MONTA_FIND_CHARGE,
    MONTA_GET_CHARGE,
    MONTA_GET_TARIFF,
    MONTA_START_CHARGE,
    AttachPaymentInput,
    Authorization,
    ChargeRef,
    ChargeSnapshot,
    FindChargeInput,
    GetTariffInput,
    PaymentSessionInfo,
    SessionRequest,
    StartChargeInput,
    TariffQuote,
)
from workflows.retry_policies import MONTA_LOOKUP_RETRY, MONTA_START_RETRY
from workflows.session_calls import MONTA_CALL_TIMEOUT, monta
from workflows.session_data import SessionData
from workflows.session_inbox import SessionInbox

MAX_START_ATTEMPTS = 5
# How long after a failed start Monta may still commit it: the start activity's own
# deadline, which outlasts the Monta client's timeout (real seconds, never scaled).
LATE_COMMIT_WINDOW = MONTA_CALL_TIMEOUT
# Monta's definitive refusals: the charge point cannot start, or the request is wrong.
START_REJECTIONS = (ERR_CHARGE_POINT_UNAVAILABLE, ERR_MONTA_CLIENT)


class StartRejected(Exception):
    """No charge exists for the session: Monta refused, or every start failed and the
    lookups by the session's id found nothing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # the session's machine-readable `reason`
        self.message = message


class StartOutcomeUnknown(Exception):
    """A start may have committed and the lookup failed: a charge may run. Never void."""


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


def _start_input(request: SessionRequest, data: SessionData) -> StartChargeInput:
    assert data.budget is not None and data.tariff is not None
    return StartChargeInput(
        operator=request.operator,
        charge_point_id=request.charge_point_id,
        paying_team_id=request.paying_team_id or 0,  # the session checked it before the hold
        partner_external_id=workflow.info().workflow_id,
        kwh_limit=data.budget.kwh_limit,
        price_limit_minor=data.budget.price_limit.amount_minor,
        currency=data.budget.price_limit.currency,
        price_group_id=data.tariff.price_group_id,
        payment_session=payment_session(request, data.authorization),
    )


async def find_charge(request: SessionRequest) -> ChargeSnapshot | None:
    """The session's charge by its partnerExternalId (the workflow id), or None when Monta
    has none. Raises StartOutcomeUnknown when the lookup itself fails: then nothing is
    known, least of all that no charge runs."""
    find = FindChargeInput(
        operator=request.operator, partner_external_id=workflow.info().workflow_id
    )
    try:
        found: ChargeSnapshot | None = await monta(
            request.config,
            MONTA_FIND_CHARGE,
            find,
            ChargeSnapshot | None,  # type: ignore[arg-type]
            "look up the charge after an unknown start outcome",
            retry=MONTA_LOOKUP_RETRY,
        )
    except ActivityError as exc:
        raise StartOutcomeUnknown(failure_text(exc)) from exc
    return found


async def start_charge(request: SessionRequest, data: SessionData) -> ChargeSnapshot:
    """POST /charges at most once per known outcome; raises StartRejected only when no
    charge exists for the session, StartOutcomeUnknown when that cannot be known.

    After a failure whose outcome is unknown, the charge is looked up by the session's id,
    now and once the late-commit window has passed, before the next attempt. A refusal
    after such a failure proves nothing (the point may be busy with the session's own first
    charge, committed after its request timed out), so it too waits for those lookups."""
    start = _start_input(request, data)
    maybe_started = False
    for _attempt in range(MAX_START_ATTEMPTS):
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
            data.last_error = failure_text(exc)
            refused = kind in START_REJECTIONS
            if refused and not maybe_started:
                raise StartRejected(detail or kind or "rejected", str(exc.cause)) from exc
            maybe_started = maybe_started or not refused
        found = await _look_up_after_late_commits(request)
        if found is not None:
            return found
        if refused:  # the lookups found nothing: the refusal is Monta's answer after all
            raise StartRejected(detail or kind or "rejected", data.last_error or "refused")
    raise StartRejected("monta_unavailable", data.last_error or "start failed")


async def _look_up_after_late_commits(request: SessionRequest) -> ChargeSnapshot | None:
    """The session's charge, looked up now and, if none is there yet, again once a request
    that timed out has had LATE_COMMIT_WINDOW to land on Monta's side. Only a "none" after
    that window allows another POST /charges: one sent sooner could start a second charge
    beside the late one, and that one would run unwatched and unbilled."""
    found = await find_charge(request)
    if found is None:
        await workflow.sleep(LATE_COMMIT_WINDOW)
        found = await find_charge(request)
    return found


async def refresh_charge(request: SessionRequest, data: SessionData, inbox: SessionInbox) -> None:
    """Read the charge from Monta into the view; a failed read changes nothing. For a
    stopping session at its deadline and one that captured on the last known price and waits
    for Monta's final one: a `completed` lost on its way (webhook and watcher alike) must
    not leave it waiting, nor bill idle time the car did not spend."""
    assert data.charge_id is not None
    ref = ChargeRef(operator=request.operator, charge_id=data.charge_id)
    try:
        snapshot: ChargeSnapshot = await monta(
            request.config, MONTA_GET_CHARGE, ref, ChargeSnapshot, "read the final price"
        )
    except ActivityError:
        return
    inbox.apply_snapshot(snapshot)


async def read_before_settling(
    request: SessionRequest, data: SessionData, inbox: SessionInbox, deadline: datetime
) -> bool:
    """A stopping session at its deadline (the idle watch's end or the settle deadline),
    before it settles on its last view: read the charge once per deadline. An unplug or a
    `completed` lost on its way (webhooks and watcher alike) would otherwise bill idle time
    past the car's leaving, or settle on an old price. True: it read, decide again."""
    if data.charge_id is None or data.read_at_deadline == deadline:
        return False
    data.read_at_deadline = deadline
    await refresh_charge(request, data, inbox)
    return True


async def attach_receipt(request: SessionRequest, data: SessionData) -> None:
    """Put the captured amount on Monta's receipt of the charge. A failure is only noted:
    the money is settled, only the receipt lacks the amount."""
    captured = data.captured
    if data.charge_id is None or captured is None or captured.amount_minor <= 0:
        return
    try:
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
    except ActivityError as exc:
        data.last_error = f"receipt: {failure_text(exc)}"
