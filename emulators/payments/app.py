"""The acquirer emulator's HTTP API (FastAPI). Endpoints are documented in README.md."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from emulators.payments.cards import TOKENS, InvalidCardNumber, read_card
from emulators.payments.config import EmulatorConfig
from emulators.payments.errors import AcquirerError, invalid
from emulators.payments.faults import FaultConfig, FaultInjector, FaultRule
from emulators.payments.ledger import Hold, Ledger
from emulators.payments.models import (
    AuthorizeRequest,
    CaptureRequest,
    IncrementRequest,
    RefundRequest,
    TerminalHoldRequest,
    VoidRequest,
)

M = TypeVar("M", bound=BaseModel)
Outcome = tuple[int, dict[str, Any]]
MAX_KEY_LENGTH = 255


class Acquirer:
    """Ledger + fault injector + the idempotency records, in one event loop (no locks:
    nothing awaits between reading a record and storing the result)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.ledger = Ledger(self.config)
        self.faults = FaultInjector(self.config.seed)
        self.records: dict[str, tuple[str, Outcome]] = {}
        self.replays = 0


async def _parse(request: Request, model: type[M]) -> tuple[M, str]:
    """The validated body and a fingerprint of it (same key + other body -> 422)."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise invalid("request body is not JSON") from exc
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        # Never echo input back: it may hold a card number.
        fields = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_input=False, include_url=False)
        ]
        raise AcquirerError(400, "invalid_request", "bad request body", fields=fields) from exc
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(f"{request.url.path}|{canonical}".encode()).hexdigest()
    return parsed, fingerprint


def _key(request: Request, required: bool) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise invalid(f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} characters")
    if key is None and required:
        raise AcquirerError(400, "idempotency_key_required", "Idempotency-Key header required")
    return key


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid("created_after must be an ISO-8601 instant") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _injected(rule: FaultRule) -> AcquirerError:
    """A refusal with the rule's status and type, shaped like the acquirer's own."""
    assert rule.status is not None and rule.error_type is not None  # set by the model
    extra = {"decline_code": "do_not_honor"} if rule.status == 402 else {}
    return AcquirerError(rule.status, rule.error_type, f"injected {rule.kind}", **extra)


def _respond(outcome: Outcome, replayed: bool = False) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(outcome[1], status_code=outcome[0], headers=headers)


def create_app(config: EmulatorConfig) -> FastAPI:
    app = FastAPI(title="chargepay acquirer emulator")
    acq = Acquirer(config)
    app.state.acquirer = acq

    @app.exception_handler(AcquirerError)
    async def _acquirer_error(_: Request, exc: AcquirerError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    async def before_commit(operation: str) -> FaultRule | None:
        """Apply a fault that strikes before anything is committed; return the rule."""
        rule = acq.faults.pick(operation)
        if rule is None:
            return None
        if rule.kind in ("4xx", "5xx"):
            raise _injected(rule)
        if rule.kind in ("slow", "timeout_before_commit", "timeout_then_commit"):
            await asyncio.sleep(rule.delay)
        if rule.kind == "timeout_before_commit":
            raise AcquirerError(504, "acquirer_timeout", "injected timeout before commit")
        return rule

    async def after_commit(rule: FaultRule | None) -> None:
        if rule is None:
            return
        if rule.kind == "timeout_after_commit":
            await asyncio.sleep(rule.delay)
        if rule.kind == "timeout_then_commit":
            # The work landed only after the caller had given up: it gets a timeout.
            raise AcquirerError(504, "acquirer_timeout", "injected timeout, committed late")

    async def write(
        request: Request,
        operation: str | None,
        model: type[M],
        action: Callable[[M, str], Outcome],
    ) -> JSONResponse:
        """One money-moving call: faults, then idempotency, then the ledger."""
        key = _key(request, required=operation is not None)
        body, fingerprint = await _parse(request, model)
        rule = await before_commit(operation) if operation else None
        if key is not None and key in acq.records:
            first_fingerprint, outcome = acq.records[key]
            if first_fingerprint != fingerprint:
                raise AcquirerError(
                    422, "idempotency_key_reused", "this Idempotency-Key was used with another body"
                )
            acq.replays += 1
            await after_commit(rule)
            return _respond(outcome, replayed=True)
        try:
            outcome = action(body, key or "")
        except AcquirerError as exc:
            outcome = (exc.status, exc.body())
        if key is not None:
            acq.records[key] = (fingerprint, outcome)
        await after_commit(rule)
        return _respond(outcome)

    # ------------------------------------------------------------ terminal side
    def place_terminal_hold(body: TerminalHoldRequest, _: str) -> Outcome:
        try:
            card = read_card(body.card_number)
        except InvalidCardNumber as exc:
            raise invalid(str(exc)) from exc
        hold = acq.ledger.place(
            card=card,
            amount_minor=body.amount_minor,
            currency=body.currency,
            card_present=True,
            terminal_id=body.terminal_id,
        )
        return 201, {"authorization_ref": hold.id, **hold.public()}

    @app.post("/v1/terminal/holds")
    async def terminal_hold(request: Request) -> JSONResponse:
        return await write(request, None, TerminalHoldRequest, place_terminal_hold)

    # ------------------------------------------------------------ chargepay side
    @app.get("/v1/authorizations")
    async def list_authorizations(
        status: str | None = None, created_after: str | None = None, limit: int = 1000
    ) -> dict[str, Any]:
        """Holds, oldest first, for reconciliation (like Stripe's list with `created[gte]`)."""
        rule = await before_commit("list")
        since = _instant(created_after)
        holds = [
            acq.ledger.get(h.id)
            for h in acq.ledger.holds.values()
            if since is None or h.created_at >= since
        ]
        found = [h.public() for h in holds if status is None or h.status == status]
        await after_commit(rule)
        return {"data": found[: max(1, min(limit, 1000))], "has_more": len(found) > limit}

    @app.get("/v1/authorizations/{hold_id}")
    async def verify(hold_id: str) -> JSONResponse:
        rule = await before_commit("verify")
        hold = acq.ledger.get(hold_id)
        await after_commit(rule)
        return JSONResponse(hold.public())

    def authorize_cnp(body: AuthorizeRequest, _: str) -> Outcome:
        card = TOKENS.get(body.payment_token)
        if card is None:
            raise AcquirerError(400, "unknown_payment_token", "unknown payment token")
        hold = acq.ledger.place(
            card=card,
            amount_minor=body.amount_minor,
            currency=body.currency,
            card_present=False,
            terminal_id=None,
        )
        return 201, hold.public()

    @app.post("/v1/authorizations")
    async def authorize(request: Request) -> JSONResponse:
        return await write(request, "authorize", AuthorizeRequest, authorize_cnp)

    def capture_result(hold: Hold) -> Outcome:
        captured = hold.captured_minor
        return 200, {
            "authorization": hold.public(),
            "captured_minor": captured,
            "released_minor": hold.amount_minor - captured,
            "currency": hold.currency,
        }

    @app.post("/v1/authorizations/{hold_id}/capture")
    async def capture(hold_id: str, request: Request) -> JSONResponse:
        def act(body: CaptureRequest, key: str) -> Outcome:
            return capture_result(
                acq.ledger.capture(hold_id, body.amount_minor, body.currency, key)
            )

        return await write(request, "capture", CaptureRequest, act)

    @app.post("/v1/authorizations/{hold_id}/void")
    async def void(hold_id: str, request: Request) -> JSONResponse:
        def act(_: VoidRequest, key: str) -> Outcome:
            hold = acq.ledger.void(hold_id, key)
            return 200, {
                "authorization": hold.public(),
                "released_minor": hold.amount_minor,
                "currency": hold.currency,
            }

        return await write(request, "void", VoidRequest, act)

    @app.post("/v1/authorizations/{hold_id}/increment")
    async def increment(hold_id: str, request: Request) -> JSONResponse:
        def act(body: IncrementRequest, key: str) -> Outcome:
            hold = acq.ledger.increment(hold_id, body.amount_minor, body.currency, key)
            return 200, hold.public()

        return await write(request, "increment", IncrementRequest, act)

    @app.post("/v1/authorizations/{hold_id}/refunds")
    async def refund(hold_id: str, request: Request) -> JSONResponse:
        def act(body: RefundRequest, key: str) -> Outcome:
            done = acq.ledger.refund(hold_id, body.amount_minor, body.currency, key)
            hold = acq.ledger.get(hold_id)
            return 200, {
                "refund_id": done["id"],
                "amount_minor": done["amount_minor"],
                "currency": hold.currency,
                "refunded_minor": hold.refunded_minor,
            }

        return await write(request, "refund", RefundRequest, act)

    # ------------------------------------------------------------ control
    @app.get("/_emulator/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "time_scale": config.time_scale}

    @app.put("/_emulator/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        body, _ = await _parse(request, FaultConfig)
        acq.faults.configure(body)
        return acq.faults.describe()

    @app.get("/_emulator/faults")
    async def get_faults() -> dict[str, Any]:
        return acq.faults.describe()

    @app.post("/_emulator/reset")
    async def reset() -> dict[str, Any]:
        acq.reset()
        return {"status": "reset"}

    @app.post("/_emulator/holds/{hold_id}/expire")
    async def expire(hold_id: str) -> dict[str, Any]:
        return acq.ledger.expire_now(hold_id).public()

    @app.get("/_emulator/truth")
    async def truth() -> dict[str, Any]:
        return {**acq.ledger.truth(), "idempotent_replays": acq.replays}

    return app
