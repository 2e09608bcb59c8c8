"""A payment terminal (and the car and driver behind it) for one planned session.

The terminal places the hold on the acquirer (card present) or sends a vault token, then
POSTs /v1/sessions and retries the same body on timeouts, connection errors and 5xx, as
real terminals do, until it gets a definitive answer. It may ask to stop later. The car's
behaviour is set on the Monta emulator's charge point before the start.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.chaos.eventlog import EventLog
from bench.chaos.plan import SessionPlan

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Answers that end a start: started (201), still starting (202), or a final refusal.
DEFINITIVE = frozenset({201, 202, 402, 409, 422})
FINAL_STATES = frozenset({"completed", "voided", "declined", "start_failed", "rejected"})


@dataclass
class TerminalRecord:
    plan: SessionPlan
    hold_ref: str | None = None
    attempts: int = 0
    answer: int | None = None  # HTTP status of the definitive start answer
    answer_state: str | None = None
    got_session_id: bool = False  # 201/202: the terminal holds a session id it will follow
    stop_answer: int | None = None
    errors: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "plan": self.plan.public(),
            "hold_ref": self.hold_ref,
            "attempts": self.attempts,
            "answer": self.answer,
            "answer_state": self.answer_state,
            "got_session_id": self.got_session_id,
            "stop_answer": self.stop_answer,
            "errors": self.errors[-5:],
        }


@dataclass
class TerminalContext:
    api: httpx.AsyncClient  # base_url = the API; no default auth
    control: httpx.AsyncClient  # emulators (terminal side of the acquirer, Monta control)
    monta_url: str
    payments_url: str
    keys: dict[tuple[str, str], str]  # (operator, terminal) -> bearer key
    log: EventLog
    give_up_at: float  # monotonic instant after which a terminal stops retrying
    timeout_s: float
    point_locks: dict[int, asyncio.Lock] = field(default_factory=dict)

    def lock(self, point: int) -> asyncio.Lock:
        return self.point_locks.setdefault(point, asyncio.Lock())


def start_body(plan: SessionPlan, hold_ref: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "terminal_transaction_id": plan.transaction_id,
        "charge_point_id": plan.charge_point_id,
        "amount": {"amount_minor": plan.amount_minor, "currency": plan.currency},
    }
    if plan.card_number is not None:
        body |= {"card_last4": plan.card_number[-4:], "authorization_ref": hold_ref}
        body["card_brand"] = "VISA" if plan.card_number.startswith("4") else "MASTERCARD"
    else:
        body["payment_token"] = plan.payment_token
    return body


async def _retrying(
    ctx: TerminalContext, rec: TerminalRecord, call: str, send: Any, done: frozenset[int]
) -> httpx.Response | None:
    """Send until the answer's status is in `done` (or another 4xx), or time runs out."""
    backoff = 0.5
    while time.monotonic() < ctx.give_up_at:
        rec.attempts += 1
        try:
            resp: httpx.Response = await send()
        except httpx.HTTPError as exc:  # timeout, refused, reset: the API may be restarting
            rec.errors.append(f"{call}: {type(exc).__name__}")
        else:
            if resp.status_code in done or (
                resp.status_code < 500 and resp.status_code not in RETRY_STATUSES
            ):
                return resp
            rec.errors.append(f"{call}: HTTP {resp.status_code}")
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 4.0)
    ctx.log.write("terminal_gave_up", session=rec.plan.session_id, call=call)
    return None


async def _place_hold(ctx: TerminalContext, plan: SessionPlan) -> str:
    body = {
        "terminal_id": plan.terminal_id,
        "amount_minor": plan.amount_minor,
        "currency": plan.currency,
        "card_number": plan.card_number,
    }
    resp = await ctx.control.post(f"{ctx.payments_url}/v1/terminal/holds", json=body)
    resp.raise_for_status()
    return str(resp.json()["authorization_ref"])


async def _set_car(ctx: TerminalContext, plan: SessionPlan) -> None:
    if plan.kind in ("busy", "offline", "rejected"):
        return  # seeded special points keep their state
    url = f"{ctx.monta_url}/_emulator/charge-points/{plan.charge_point_id}"
    resp = await ctx.control.put(url, json={"car": plan.car})
    resp.raise_for_status()


async def _start(ctx: TerminalContext, rec: TerminalRecord, auth: dict[str, str]) -> None:
    plan = rec.plan
    if plan.card_number is not None:
        rec.hold_ref = await _place_hold(ctx, plan)
    await _set_car(ctx, plan)
    body = start_body(plan, rec.hold_ref)

    async def send() -> httpx.Response:
        return await ctx.api.post("/v1/sessions", json=body, headers=auth, timeout=ctx.timeout_s)

    resp = await _retrying(ctx, rec, "start", send, DEFINITIVE)
    if resp is None:
        return
    rec.answer = resp.status_code
    data = (
        resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
    )
    status = data.get("details", {}).get("status") if "error" in data else data
    rec.answer_state = (status or {}).get("state")
    rec.got_session_id = resp.status_code in (201, 202) and data.get("session_id") is not None
    if resp.status_code not in DEFINITIVE:
        ctx.log.write("terminal_unexpected_answer", session=plan.session_id, answer=data)


async def _stop(ctx: TerminalContext, rec: TerminalRecord, auth: dict[str, str]) -> None:
    path = f"/v1/sessions/{rec.plan.session_id}/stop"

    async def send() -> httpx.Response:
        body = {"reason": "terminal"}
        return await ctx.api.post(path, json=body, headers=auth, timeout=ctx.timeout_s)

    resp = await _retrying(ctx, rec, "stop", send, frozenset({200, 404, 409}))
    rec.stop_answer = None if resp is None else resp.status_code


async def _until_final(ctx: TerminalContext, rec: TerminalRecord, auth: dict[str, str]) -> None:
    """Hold a shared charge point until its session is over (the next driver waits)."""
    path = f"/v1/sessions/{rec.plan.session_id}"
    while time.monotonic() < ctx.give_up_at:
        try:
            resp = await ctx.api.get(path, headers=auth, timeout=ctx.timeout_s)
            if resp.status_code == 200 and resp.json().get("state") in FINAL_STATES:
                await asyncio.sleep(1.0)  # Monta completes the charge shortly after a void
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(1.0)


async def run_terminal(ctx: TerminalContext, plan: SessionPlan) -> TerminalRecord:
    rec = TerminalRecord(plan)
    auth = {"Authorization": f"Bearer {ctx.keys[(plan.operator, plan.terminal_id)]}"}
    delay = plan.start_at_s - ctx.log.elapsed()
    if delay > 0:
        await asyncio.sleep(delay)
    lock = ctx.lock(plan.charge_point_id) if plan.shared_point else None
    try:
        if lock is not None:
            await lock.acquire()
        await _start(ctx, rec, auth)
        ctx.log.write("terminal_started", session=plan.session_id, answer=rec.answer)
        if rec.got_session_id and plan.stop_after_s is not None:
            await asyncio.sleep(plan.stop_after_s)
            await _stop(ctx, rec, auth)
            ctx.log.write("terminal_stop", session=plan.session_id, answer=rec.stop_answer)
        if lock is not None and rec.answer is not None:
            await _until_final(ctx, rec, auth)
    except Exception as exc:  # the harness keeps going; the record shows what broke
        rec.errors.append(f"terminal: {exc!r}")
        ctx.log.write("terminal_error", session=plan.session_id, error=repr(exc))
    finally:
        if lock is not None:
            lock.release()
    return rec
