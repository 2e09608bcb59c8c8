"""Activities that talk to Temporal itself (session queue): how many sessions are open,
signal sessions with polled snapshots, read sessions' outcomes for reconciliation, and the
holds every operator's running sessions own (one acquirer account serves all operators).

None of them calls Monta, so none of them spends the credential's rate budget.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import activity
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.client import WorkflowExecutionStatus as Status
from temporalio.service import RPCError, RPCStatusCode

from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.contracts import SessionStatus
from workflows.reconciliation_models import (
    RECONCILE_LIVE_HOLDS,
    RECONCILE_SESSIONS,
    STATE_UNANSWERED,
    LiveHolds,
    LiveHoldsInput,
    SessionOutcome,
    SessionsInput,
)
from workflows.watcher_logic import (
    WATCHER_OPEN_SESSIONS,
    WATCHER_SIGNAL_SESSIONS,
    SignalBatch,
    SignalResult,
    session_has_it,
)

T = TypeVar("T")
CONCURRENCY = 32
QUERY_TIMEOUT = timedelta(seconds=10)  # a session that takes longer counts as unanswered
RUNNING_SESSIONS = f"WorkflowType = '{c.SESSION_WORKFLOW}' AND ExecutionStatus = 'Running'"
# Monta echoes `partnerExternalId` back: only ids of our own shape go into a query.
SAFE_ID = re.compile(r"[A-Za-z0-9_.:-]+")
STATE_PAGE = 100  # ids per visibility read


def _sessions_query(operator: str) -> str:
    return f"WorkflowType = '{c.SESSION_WORKFLOW}' AND Operator = '{operator}'"


async def _bounded(items: Iterable[T], fn: Callable[[T], Awaitable[Any]]) -> list[Any]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item: T) -> Any:
        async with gate:
            return await fn(item)

    return list(await asyncio.gather(*(one(i) for i in items)))


def _gone(exc: RPCError) -> bool:
    return exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION)


class TemporalReads:
    def __init__(self, client: Client) -> None:
        self.client = client

    def activities(self) -> Sequence[Callable[..., Any]]:
        return [self.open_sessions, self.signal_sessions, self.sessions, self.live_holds]

    @activity.defn(name=WATCHER_OPEN_SESSIONS)
    async def open_sessions(self, operator: str) -> int:
        query = f"{_sessions_query(operator)} AND ExecutionStatus = 'Running'"
        return (await self.client.count_workflows(query)).count

    @activity.defn(name=WATCHER_SIGNAL_SESSIONS)
    async def signal_sessions(self, batch: SignalBatch) -> SignalResult:
        """Signal each snapshot's session, except where its `SessionState` shows it already
        has the news (watcher_logic.session_has_it): one visibility read per 100 instead
        of a duplicate signal and workflow task per session."""

        async def signal(snap: c.ChargeSnapshot) -> bool:
            handle = self.client.get_workflow_handle(snap.partner_external_id or "")
            try:
                await handle.signal(c.SIGNAL_CHARGE_UPDATED, snap)
            except RPCError as exc:
                if _gone(exc):
                    return False  # the session already ended: nothing to deliver
                raise
            return True

        snaps = [s for s in batch.snapshots if s.partner_external_id]
        states = await self._session_states([s.partner_external_id or "" for s in snaps])
        news = [s for s in snaps if not session_has_it(s, states.get(s.partner_external_id or ""))]
        done = await _bounded(news, signal)
        return SignalResult(
            signaled=sum(done), gone=len(done) - sum(done), known=len(snaps) - len(news)
        )

    async def _session_states(self, ids: Sequence[str]) -> dict[str, str]:
        """Running sessions' `SessionState` from visibility, by workflow id. Ids that could
        not be quoted safely, and any failed read, leave their sessions out: they are sent."""
        safe = sorted({i for i in ids if SAFE_ID.fullmatch(i)})
        states: dict[str, str] = {}
        for start in range(0, len(safe), STATE_PAGE):
            listed = ", ".join(f"'{i}'" for i in safe[start : start + STATE_PAGE])
            query = f"{RUNNING_SESSIONS} AND WorkflowId IN ({listed})"
            try:
                async for ex in self.client.list_workflows(query, rpc_timeout=QUERY_TIMEOUT):
                    state = ex.typed_search_attributes.get(sa.SESSION_STATE)
                    if state is not None:
                        states[ex.id] = state
            except RPCError as exc:
                activity.logger.warning("session states unread, sending all: %s", exc)
        return states

    @activity.defn(name=RECONCILE_SESSIONS)
    async def sessions(self, inp: SessionsInput) -> list[SessionOutcome]:
        query = (
            f"{_sessions_query(inp.operator)} AND StartTime >= '{inp.started_after.isoformat()}'"
        )
        latest: dict[str, WorkflowExecution] = {}
        async for ex in self.client.list_workflows(query):
            if ex.status == Status.CONTINUED_AS_NEW:
                continue  # its successor run is listed too
            latest[ex.id] = ex
        missing = [i for i in inp.ids if i and i not in latest]
        for desc in await _bounded(missing, self._describe):
            if desc is not None:
                latest[desc.id] = desc
        return list(await _bounded(latest.values(), self._outcome))

    @activity.defn(name=RECONCILE_LIVE_HOLDS)
    async def live_holds(self, inp: LiveHoldsInput) -> LiveHolds:
        """Every operator's running sessions (no Operator filter): the holds they own, the
        terminals of those still verifying theirs (no hold id yet, whatever their age), and
        how many could own a hold we cannot name (no answer, or no hold id past the grace
        or on an unknown terminal)."""
        running = [ex async for ex in self.client.list_workflows(RUNNING_SESSIONS)]
        outcomes: list[SessionOutcome] = await _bounded(running, self._outcome)
        unbound = 0
        verifying: set[str] = set()
        for ex, o in zip(running, outcomes, strict=True):
            if not o.running or o.state == STATE_UNANSWERED or o.authorization_id is not None:
                continue
            terminal = o.terminal_id or ex.typed_search_attributes.get(sa.TERMINAL_ID)
            if terminal is not None:
                verifying.add(terminal)
            old = ex.start_time is None or ex.start_time < inp.unbound_started_before
            if terminal is None or old:
                unbound += 1  # past the grace, or on no known terminal: any hold may be its
        return LiveHolds(
            authorization_ids=sorted({o.authorization_id for o in outcomes if o.authorization_id}),
            unanswered=sum(1 for o in outcomes if o.running and o.state == STATE_UNANSWERED),
            unbound=unbound,
            verifying_terminals=sorted(verifying),
        )

    async def _describe(self, workflow_id: str) -> WorkflowExecution | None:
        try:
            return await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    async def _outcome(self, ex: WorkflowExecution) -> SessionOutcome:
        handle = self.client.get_workflow_handle(ex.id, result_type=SessionStatus)
        running = ex.status == Status.RUNNING
        if running:
            try:
                status = await handle.query(
                    c.QUERY_STATUS, result_type=SessionStatus, rpc_timeout=QUERY_TIMEOUT
                )
            except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
                # No worker answers right now: count it live and unanswered, so no hold is
                # voided while it might be this session's (reconciliation_logic.void_deferral).
                return SessionOutcome(session_id=ex.id, running=True, state=STATE_UNANSWERED)
        elif ex.status == Status.COMPLETED:
            status = await handle.result()
        else:
            name = ex.status.name.lower() if ex.status else "unknown"
            return SessionOutcome(
                session_id=ex.id,
                running=False,
                state=name,
                closed_at=ex.close_time,
                terminal_id=ex.typed_search_attributes.get(sa.TERMINAL_ID),
            )
        return SessionOutcome(
            session_id=ex.id,
            running=running,
            state=status.state,
            charge_id=status.charge_id,
            authorization_id=status.authorization_id,
            authorized=status.authorized,
            captured=status.captured,
            closed_at=ex.close_time,
            terminal_id=status.terminal_id,
            price=status.price,
            uncollected=status.uncollected,
            attention=status.attention,
            reason=status.reason,
            increments=[i.extra for i in status.increments],
            own_idle_fee_minor=_own_idle_fee(status),
        )


def _own_idle_fee(status: SessionStatus) -> int:
    """The idle fee chargepay billed on top of Monta's price (Monta's own is in its price)."""
    idle = status.idle
    return idle.fee_minor if idle is not None and idle.source == "chargepay" else 0
