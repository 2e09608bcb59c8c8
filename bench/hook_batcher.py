"""Deliver signals to bare workflows as Monta delivers a session's: entries gathered into
signed webhook batches on Monta's wall cadence, POSTed through nginx to the API replicas.

Each entry is a fresh charge of the bench's own (bench/hook_entries.py), so the API signals
every one; `send` returns once a batch that carried it was acknowledged (a refused batch
is sent again with the next, as Monta redelivers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from bench import hook_entries
from bench.context import BENCH_OPERATOR, BenchContext

BATCH_SIZE = 100  # Monta's batch size


class HookBatcher:
    def __init__(
        self, ctx: BenchContext, template: Mapping[str, Any], interval_s: float, first_id: int
    ) -> None:
        self.ctx, self.template, self.interval_s = ctx, template, interval_s
        self.url = f"{ctx.stack.api_url}/v1/webhooks/monta/{BENCH_OPERATOR}"
        self.ids = hook_entries.charge_ids(first_id)
        self.pending: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self.posts = self.redelivered = 0
        self._task: asyncio.Task[None] | None = None
        self._posting: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> HookBatcher:
        self._task = asyncio.create_task(self._flush_loop())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, *self._posting, return_exceptions=True)

    async def send(self, workflow_id: str) -> bool:
        entry = hook_entries.charge(self.template, next(self.ids), workflow_id, 0, time.time())
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending.append((entry, done))
        return await done

    async def _flush_loop(self) -> None:
        """Like Monta, a batch leaves on its cadence whether or not the last one was
        answered."""
        while True:
            await asyncio.sleep(self.interval_s)
            taken, self.pending = self.pending, []
            for i in range(0, len(taken), BATCH_SIZE):
                task = asyncio.create_task(self._post(taken[i : i + BATCH_SIZE]))
                self._posting.add(task)
                task.add_done_callback(self._posting.discard)

    async def _post(self, chunk: list[tuple[dict[str, Any], asyncio.Future[bool]]]) -> None:
        body = hook_entries.batch_body([e for e, _ in chunk], time.time())
        try:
            status, ack = await hook_entries.post_batch(
                self.ctx.http, self.url, self.ctx.webhook_secret, body
            )
        except Exception:  # the bare sessions waiting on it count as not completed
            status, ack = -1, {}
        self.posts += 1
        ok = status == 200 and int(ack.get("signalled", 0)) == len(chunk)
        if not ok:
            # As Monta does, the batch is delivered again with the next one: a bare session
            # is not failed for a 503 a session would have had redelivered.
            self.redelivered += len(chunk)
            self.pending.extend(chunk)
            return
        for _, fut in chunk:
            if not fut.done():
                fut.set_result(True)
