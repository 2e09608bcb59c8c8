"""A replayable history of SessionRecordsWorkflow: `python -m tests.replay.records` writes
tests/fixtures/histories/records/records_refunds.json.

One run with fake activities on the time-skipping server: it starts from a refund the ledger
has, refuses one above what is left, answers the known key again, makes a new refund,
reissues the receipt for a business buyer, and ends once idle. Regenerate it after an
intentional change to the workflow (and say why in the commit).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError

from tests.support.temporal import start_time_skipping
from tests.workflow.test_session_records import (
    EARLIER,
    FakeLedgerAndAcquirer,
    records,
    request,
)
from workflows import contracts as c

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "histories" / "records"
HISTORY = FIXTURE / "records_refunds.json"


class WithCorrections(FakeLedgerAndAcquirer):
    def activities(self) -> list[Any]:
        @activity.defn(name=c.LEDGER_CORRECT_RECEIPT)
        async def correct(inp: c.CorrectReceiptInput) -> c.ReceiptWritten:
            return c.ReceiptWritten(number=2, created=True)

        return [*super().activities(), correct]


async def generate() -> None:
    env = await start_time_skipping()
    try:
        async with records(env.client, WithCorrections([EARLIER])) as handle:
            with contextlib.suppress(WorkflowUpdateFailedError):
                await handle.execute_update(c.UPDATE_REFUND, request("b", 401))
            await handle.execute_update(c.UPDATE_REFUND, request("a", 600))
            await handle.execute_update(c.UPDATE_REFUND, request("c", 400))
            buyer = c.Buyer(vat_id="DE123456789", name="Muster GmbH")
            await handle.execute_update(c.UPDATE_CORRECT_RECEIPT, buyer)
            await handle.result()
            history = await handle.fetch_history()
        FIXTURE.mkdir(parents=True, exist_ok=True)
        HISTORY.write_text(history.to_json())
        print(f"{HISTORY}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(generate())
