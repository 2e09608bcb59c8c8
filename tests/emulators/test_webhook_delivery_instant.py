"""The webhook log's instant is when the POST leaves, after the batch was built and signed."""

from __future__ import annotations

import httpx

from emulators.monta.faults import Faults
from emulators.monta.webhooks import Config, Webhooks


async def test_delivery_is_logged_at_the_send_not_at_the_round_start() -> None:
    hooks = Webhooks(interval_wall=1.0, max_age_wall=3600.0, batch_size=100, faults=Faults(1))
    cfg = Config("c1", 1, "alpha", 1, "http://receiver/hook", "s3cret", ["charges"], None)
    hooks.configs[cfg.client_id] = cfg
    hooks.enqueue("alpha", 7, "updated", {"consumedKwh": 1.5, "state": "charging"}, now=100.0)
    seen: list[float] = []
    ticks = iter([100.25])  # the round began at 100.0; building and signing took 0.25 s

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(float(request.headers["content-length"]))
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as client:
        [(c, batch, pending)] = hooks.due(100.0)
        await hooks.deliver(client, c, batch, pending, 100.0, lambda: next(ticks))
    assert seen, "the batch was posted"
    assert [d["t"] for d in hooks.charge_log[7]] == [100.25]
    assert hooks.batches[0]["t"] == 100.25
    assert batch[0].updated_at == 100.0 and hooks.queue["c1"] == []
