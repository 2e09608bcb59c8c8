"""Regenerate replay histories: `python -m tests.replay.generate [--priced] [--into DIR]
[state ...]` writes tests/fixtures/histories[/DIR]/session_<state>.json.

Run it after an intentional, versioned change to ChargeSessionWorkflow (and say why in the
commit): the replay test exists to catch the unintentional ones. `--priced` records starts
that carry the API's tariff (the top level holds bare starts, `priced/` the API's).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from tests.replay.scenarios import SCENARIOS
from tests.support.temporal import start_dev_server

HISTORIES = Path(__file__).resolve().parents[1] / "fixtures" / "histories"


async def generate(folder: Path, states: list[str], priced: bool) -> None:
    env = await start_dev_server()
    try:
        for state in states:
            workflow_id = await SCENARIOS[state](env.client, priced)
            history = await env.client.get_workflow_handle(workflow_id).fetch_history()
            path = folder / f"session_{state}.json"
            path.write_text(history.to_json())
            print(f"{path.relative_to(Path.cwd())}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m tests.replay.generate", description=__doc__)
    p.add_argument("--priced", action="store_true", help="starts carry the API's tariff")
    p.add_argument("--into", default="", help="subdirectory of tests/fixtures/histories")
    p.add_argument("states", nargs="*", help=f"default: all of {', '.join(SCENARIOS)}")
    args = p.parse_args()
    if unknown := set(args.states) - set(SCENARIOS):
        p.error(f"unknown states: {', '.join(sorted(unknown))}")
    folder = HISTORIES / args.into
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(generate(folder, args.states or list(SCENARIOS), args.priced))
