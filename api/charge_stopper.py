"""The API's stop for a charge whose session's kWh stop falls due at a webhook entry.

The session decides every stop (DESIGN.md, step 5) and stays the backstop. But the API
process that knows a session's budget and pace (api/charge_pace.py) holds the reading first:
signalled, the stop waited for the signal, the session's workflow task and its local
activity (stop p99 at 100 open 129 to 193 ms, most of it queueing in Temporal). So that process
sends the same stop at once, under the same rule, and signals Monta's answer to it marked
`stop_sent_for`: the session records why it stopped and sends no stop of its own
(workflows/session.py). Anything else (stop not due, workers that do not read the mark,
Monta failing or slow) and the entry is signalled as before: the session stops it.

It spends the one stop per session the rate budget's stop reserve counts (README: One Monta
budget per credential): the session then sends none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from api.charge_pace import Pace, stop_due
from core.lru import Lru
from workflows.contracts import ChargeSnapshot

log = logging.getLogger(__name__)

# Within the webhook request: Monta redelivers a batch we hold too long (and the session
# would stop the charge itself meanwhile).
STOP_TIMEOUT_S = 2.0

StopCall = Callable[[str, int], Awaitable[ChargeSnapshot]]  # (operator, charge id) -> answer


def stop_now(snap: ChargeSnapshot, pace: Pace | None, stop_latency_s: float) -> bool:
    """The session's kWh rule at this reading: a drawing charge whose budget this process
    knows, consumed plus what it draws while a stop travels at or past that budget."""
    return (
        pace is not None
        and snap.state == "charging"
        and stop_due(snap.consumed_kwh, pace, stop_latency_s)
    )


class ChargeStopper:
    """Per API process: at most one stop per charge from here, its marked answer kept so a
    redelivered entry (the signal failed) carries the same news without a second call."""

    def __init__(
        self,
        call: StopCall,
        enabled: Callable[[], Awaitable[bool]],
        max_charges: int,
        timeout_s: float = STOP_TIMEOUT_S,
    ) -> None:
        self._call = call
        self._enabled = enabled
        self._timeout_s = timeout_s
        self._sent: Lru[int, ChargeSnapshot | None] = Lru(max_charges)

    async def stop(self, operator: str, snap: ChargeSnapshot) -> ChargeSnapshot | None:
        """Monta's answer to the stop, marked for the session; None: signal `snap` as is."""
        if snap.charge_id in self._sent:
            return self._sent[snap.charge_id]
        if not await self._enabled():
            return None
        self._sent.put(snap.charge_id, None)  # never a second call from here, whatever happens
        try:
            answer = await asyncio.wait_for(
                self._call(operator, snap.charge_id), timeout=self._timeout_s
            )
        except Exception as exc:  # the session's own stop follows the entry: nothing is lost
            log.warning("stop of charge %s not sent from the API: %r", snap.charge_id, exc)
            return None
        marked = answer.model_copy(
            update={
                "stop_sent_for": "kwh_budget",
                "partner_external_id": answer.partner_external_id or snap.partner_external_id,
            }
        )
        self._sent.put(snap.charge_id, marked)
        return marked
