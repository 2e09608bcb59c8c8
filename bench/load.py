"""Start sessions the way terminals do (hold on the card, POST /v1/sessions), wait for them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import httpx
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from bench.context import CARD, BenchContext
from bench.shape import EventRow, rows
from core.money import Money
from workflows.contracts import SessionStatus

T = TypeVar("T")
RESULT_RPC_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Planned:
    index: int
    kind: str
    point_id: int
    amount: Money


@dataclass(frozen=True)
class Started:
    planned: Planned
    session_id: str
    hold_id: str
    http_status: int
    sent_at: float
    answered_at: float


@dataclass(frozen=True)
class StartFailed:
    planned: Planned
    http_status: int
    body: str


async def gather_bounded(limit: int, jobs: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(j) for j in jobs)))


async def place_hold(ctx: BenchContext, terminal: str, amount: Money) -> str:
    body = {
        "terminal_id": terminal,
        "amount_minor": amount.amount_minor,
        "currency": amount.currency,
        "card_number": CARD["number"],
    }
    data = await ctx.json("POST", f"{ctx.stack.payments_url}/v1/terminal/holds", json=body)
    return str(data["authorization_ref"])


async def start_session(
    ctx: BenchContext, terminal: str, key: str, tx_prefix: str, p: Planned
) -> Started | StartFailed:
    hold = await place_hold(ctx, terminal, p.amount)
    body = {
        "terminal_transaction_id": f"{tx_prefix}{p.index}",
        "charge_point_id": p.point_id,
        "amount": {"amount_minor": p.amount.amount_minor, "currency": p.amount.currency},
        "card_brand": CARD["brand"],
        "card_last4": CARD["last4"],
        "authorization_ref": hold,
    }
    sent = time.time()
    try:
        resp = await ctx.http.post(
            f"{ctx.stack.api_url}/v1/sessions",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
        )
    except httpx.HTTPError as exc:  # counted as a failed start, the run goes on
        return StartFailed(p, 0, repr(exc))
    if resp.status_code not in (201, 202):
        return StartFailed(p, resp.status_code, resp.text[:500])
    return Started(p, str(resp.json()["session_id"]), hold, resp.status_code, sent, time.time())


async def running_count(ctx: BenchContext, terminal: str) -> int:
    query = f"TerminalId = '{terminal}' AND ExecutionStatus = 'Running'"
    return (await ctx.temporal.count_workflows(query)).count


async def final_status(ctx: BenchContext, session_id: str) -> SessionStatus | None:
    """The finished session's result (None if it is still running or failed)."""
    handle = ctx.temporal.get_workflow_handle(session_id, result_type=SessionStatus)
    desc = await handle.describe()
    if desc.status != WorkflowExecutionStatus.COMPLETED:
        return None
    return await handle.result(rpc_timeout=timedelta(seconds=RESULT_RPC_TIMEOUT_S))


async def wait_result(ctx: BenchContext, session_id: str, timeout_s: float) -> SessionStatus | None:
    """The session's result once it finished, None if not within `timeout_s`."""
    handle = ctx.temporal.get_workflow_handle(session_id, result_type=SessionStatus)
    try:
        return await asyncio.wait_for(handle.result(), timeout_s)
    except (TimeoutError, WorkflowFailureError):
        return None


async def history_rows(ctx: BenchContext, session_id: str) -> list[EventRow]:
    history = await ctx.temporal.get_workflow_handle(session_id).fetch_history()
    return rows(history.events)
