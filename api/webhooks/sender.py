"""Webhook snapshots -> `charge_updated` signals: coalesced, one in flight per session,
a busy/timed-out signal retried briefly inside the request.

A busy workflow (`RESOURCE_EXHAUSTED` "Workflow is busy") or a timed-out signal is a
momentary state of one session: answering 503 for the whole batch makes Monta redeliver
every entry of it, which adds load exactly when Temporal is struggling. So that one signal
is retried with a short backoff within a bounded budget (well under Monta's delivery
timeout); only then is the batch refused. Temporal being unreachable fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import timedelta
from typing import Literal

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.webhooks.coalesce import (
    WINDING_DOWN,
    CoalescePolicy,
    Signalled,
    SignalLedger,
    should_signal,
)
from observability.metrics import WEBHOOK_SIGNALS
from settings import Settings
from workflows.contracts import SIGNAL_CHARGE_UPDATED, ChargeSnapshot, SessionStatus

log = logging.getLogger(__name__)

Outcome = Literal["signalled", "coalesced", "finished", "failed"]
# Momentary: the workflow's lock or the RPC deadline, not an outage.
RETRYABLE = frozenset({RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.DEADLINE_EXCEEDED})
SIGNAL_TIMEOUT_S = 2.0
BACKOFF_S = (0.05, 0.15, 0.4)  # then give up: Monta redelivers
# How long a charge's entry waits for its session's start answer in this process (the
# start is answered once Monta accepted it: usually milliseconds after the entry).
START_WAIT_S = 1.0


class SignalSender:
    """One per API process (the coalescing ledger must outlive a request): the ledger of
    what was signalled, per-session locks, a global gate."""

    def __init__(
        self,
        client: Client,
        policy: CoalescePolicy,
        *,
        max_charges: int,
        concurrency: int,
        budget_s: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
        start_wait_s: float = START_WAIT_S,
    ) -> None:
        self._client = client
        self._policy = policy
        self._ledger = SignalLedger(max_charges)
        self._gate = asyncio.Semaphore(concurrency)
        self._budget_s = budget_s
        self._now = monotonic
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._starting: dict[str, asyncio.Future[None]] = {}
        self._start_wait_s = start_wait_s

    @classmethod
    def from_settings(cls, client: Client, settings: Settings) -> SignalSender:
        policy = CoalescePolicy(
            near_cap_ratio=settings.webhook_near_cap_ratio,
            max_lag=timedelta(seconds=settings.clock.wall_seconds(settings.view_max_lag_s)),
        )
        return cls(
            client,
            policy,
            max_charges=settings.webhook_coalesce_max_charges,
            concurrency=settings.webhook_signal_concurrency,
        )

    def known(self, status: SessionStatus) -> None:
        """The session's answer to its start: what it has of its charge as of now. The
        charge's first webhook entry then only repeats it (the start's `POST /charges`
        answer) and is acknowledged without a signal, one workflow task fewer per session
        in the seconds its batch of sessions starts. (Not from a status read: that view may
        be old, and recording it as of now would postpone the heartbeat.) Only while it
        charges or waits for the car: an ending session takes every entry that could be
        news."""
        if status.charge_id is None or status.charge_state is None or status.updated_at is None:
            return
        if status.state not in ("starting", "charging") or status.charge_state in WINDING_DOWN:
            return
        seen = Signalled(status.charge_state, status.consumed_kwh, status.updated_at, frozenset())
        self._ledger.note_known(status.charge_id, seen)

    @contextmanager
    def starting(self, session_id: str) -> Iterator[None]:
        """This process is starting `session_id`: a webhook entry of its charge that comes
        before the start's answer (Monta's first entries often do) waits for it, up to
        `start_wait_s`, so it is judged against what the session has (`known`)."""
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._starting[session_id] = answered
        try:
            yield
        finally:
            if self._starting.get(session_id) is answered:
                del self._starting[session_id]
            answered.set_result(None)

    async def _last(self, snap: ChargeSnapshot, session_id: str) -> Signalled | None:
        last = self._ledger.get(snap.charge_id)
        answered = self._starting.get(session_id)
        if last is None and answered is not None:
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(answered), self._start_wait_s)
            last = self._ledger.get(snap.charge_id)
        return last

    async def deliver(self, snap: ChargeSnapshot, operator: str) -> Outcome:
        """Decide under the session's lock (a concurrent batch may just have signalled it)."""
        assert snap.partner_external_id is not None
        async with self._session_lock(snap.partner_external_id):
            last = await self._last(snap, snap.partner_external_id)
            reason = should_signal(snap, last, self._policy)
            if reason is None:
                return "coalesced"
            outcome = await self._send(snap)
            if outcome == "signalled":
                WEBHOOK_SIGNALS.labels(operator, reason).inc()
            if outcome != "failed":  # a finished session needs no further signal either
                self._ledger.record(snap)
            return outcome

    async def _send(self, snap: ChargeSnapshot) -> Outcome:
        wid = snap.partner_external_id
        deadline = self._now() + self._budget_s
        handle = self._client.get_workflow_handle(wid or "")
        for attempt in range(len(BACKOFF_S) + 1):
            left = deadline - self._now()
            try:
                async with self._gate:
                    await handle.signal(
                        SIGNAL_CHARGE_UPDATED,
                        snap,
                        rpc_timeout=timedelta(seconds=max(0.1, min(SIGNAL_TIMEOUT_S, left))),
                    )
                return "signalled"
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:  # unknown or already completed
                    return "finished"
                retry = exc.status in RETRYABLE
                log.warning("signal to %s failed (attempt %d): %s", wid, attempt + 1, exc)
            except Exception as exc:  # any other failure: Monta redelivers
                log.warning("signal to %s failed: %r", wid, exc)
                return "failed"
            if not retry or attempt == len(BACKOFF_S):
                return "failed"
            pause = BACKOFF_S[attempt]
            if self._now() + pause >= deadline:
                return "failed"
            await asyncio.sleep(pause)
        return "failed"

    @asynccontextmanager
    async def _session_lock(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
