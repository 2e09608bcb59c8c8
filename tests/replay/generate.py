"""Regenerate tests/fixtures/histories/*.json: `python -m tests.replay.generate [state ...]`.

Run it after an intentional, versioned change to ChargeSessionWorkflow (and say why in the
commit): the replay test exists to catch the unintentional ones.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.replay.scenarios import SCENARIOS
from tests.support.temporal import start_dev_server

HISTORIES = Path(__file__).resolve().parents[1] / "fixtures" / "histories"


async def generate(states: list[str]) -> None:
    env = await start_dev_server()
    try:
        for state in states:
            workflow_id = await SCENARIOS[state](env.client)
            history = await env.client.get_workflow_handle(workflow_id).fetch_history()
            path = HISTORIES / f"session_{state}.json"
            path.write_text(history.to_json())
            print(f"{path.relative_to(Path.cwd())}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    HISTORIES.mkdir(parents=True, exist_ok=True)
    asyncio.run(generate(sys.argv[1:] or list(SCENARIOS)))
