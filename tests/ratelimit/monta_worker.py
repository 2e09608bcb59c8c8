"""One Monta-queue worker process for the rate-limit tests (what worker.py runs per
operator): `python -m tests.ratelimit.monta_worker <temporal> <operator json>`.

Settings come from the environment (TIME_SCALE, CHARGEPAY_MONTA_BASE_URL, ...), the
client secret from MONTA_WORKER_SECRET.
Prints `ready` once polling; SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.monta.activities import MontaActivities
from activities.monta.client import MontaClient
from activities.reconciliation.monta_pages import MontaPageActivities
from activities.reconciliation.rate_budget import monta_queue_rate
from core.operators import Operator
from settings import Settings


async def main(target: str, operator_json: str) -> None:
    settings = Settings()
    data = {**json.loads(operator_json), "monta_client_secret": os.environ["MONTA_WORKER_SECRET"]}
    op = Operator.model_validate(data)
    client = await Client.connect(target, data_converter=pydantic_data_converter)
    monta = MontaClient.from_operator(op, settings)
    acts = [
        *MontaActivities(monta, settings.monta_money_unit, 300.0).activities(),
        *MontaPageActivities(monta, settings.monta_money_unit).activities(),
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(
        client,
        task_queue=op.monta_task_queue,
        activities=acts,
        max_task_queue_activities_per_second=monta_queue_rate(op, settings),
        max_concurrent_activities=100,
    ):
        print("ready", flush=True)
        await stop.wait()
    await monta.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
