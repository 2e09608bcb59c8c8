"""`make dev` / `make demo`: run the embedded stack until Ctrl-C, or one demo session.

python -m devstack [--demo] [--time-scale 30] [--data-dir .data]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from types import FrameType

from devstack import increments_demo
from devstack.codec_secrets import dev_codec_secrets
from devstack.demo import (
    curl_start,
    place_hold,
    provision_demo_key,
    provision_operator_key,
    run_demo,
)
from devstack.envfile import REPO, read_env_file
from devstack.stack import Stack, StackConfig, StackPorts


def _banner(stack: Stack, key: str, hold_ref: str, operator_key: str, grow_key: str) -> str:
    ui = stack.temporal_ui_url or "(headless)"
    return f"""
chargepay dev stack is up (TIME_SCALE={stack.config.time_scale}); logs in {stack.config.log_dir}

  API docs        {stack.api_url}/docs
  Temporal UI     {ui}
  Temporal gRPC   {stack.temporal_address}
  Monta emulator  {stack.monta_url}/_emulator/truth   (control: /_emulator/...)
  Acquirer        {stack.payments_url}/_emulator/truth
  Webhooks        {stack.api_url}/v1/webhooks/monta/{{alpha,bravo}} (registered with the emulator)

Demo terminal key (alpha / DEMO1): {key}
A demo hold was placed on the acquirer ({hold_ref}); it stays open {DEMO_HOLD_WALL_S // 60} minutes
(then reconciliation releases it: the README's step 4 places another). Start a session with:

{curl_start(stack.api_url, key, hold_ref)}

Then: curl -sS -H 'Authorization: Bearer {key}' {stack.api_url}/v1/sessions/<session_id>

Payloads are encrypted (keys in {stack.config.data_dir / "codec"}): the UI decodes them through
{stack.dev_codec_url}; the temporal CLI through the API, with this token:
  uv run temporal workflow show --address {stack.temporal_address} -w <session_id> \\
    --codec-endpoint {stack.api_url}/codec --codec-auth "Bearer {stack.config.codec_token}"

Demo operator key (alpha / demo-operator): {operator_key}
Flagged sessions and the actions on them (docs/operations.md):
  CHARGEPAY_OPERATOR_KEY={operator_key} CHARGEPAY_API_URL={stack.api_url} \\
    uv run python -m api.operator_cli flagged

{increments_demo.banner(stack.api_url, grow_key)}
Ctrl-C stops everything.
"""


# Reconciliation voids a hold no session claimed once its grace has passed, counted in
# real-world time: at the dev stack's time scale the default would release the demo hold the
# banner prints before a person has read it. Keep it open for this much wall time.
DEMO_HOLD_WALL_S = 30 * 60


def dev_config(data_dir: Path, ports: StackPorts, time_scale: float) -> StackConfig:
    """The stack `make dev` runs; a hold grace set in the environment wins."""
    env: dict[str, str] = {}
    if "CHARGEPAY_RECONCILE_HOLD_GRACE_S" not in {**read_env_file(), **os.environ}:
        env["CHARGEPAY_RECONCILE_HOLD_GRACE_S"] = str(DEMO_HOLD_WALL_S * time_scale)
    env.update(increments_demo.operators_env(data_dir))
    return StackConfig(data_dir, ports, time_scale=time_scale, env=env)


def clear_temporal_state(data_dir: Path) -> bool:
    """The emulators keep their world in memory, so each start is a new Monta and a new
    acquirer. Temporal's sessions from an earlier start would follow charges and holds that
    no longer exist (and reuse their ids), so they are cleared together. True if any were."""
    stale = [data_dir / f"temporal.sqlite{suffix}" for suffix in ("", "-wal", "-shm")]
    found = [p for p in stale if p.exists()]
    for path in found:
        path.unlink()
    return bool(found)


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    p.add_argument("--demo", action="store_true", help="run one session end to end and exit")
    p.add_argument("--time-scale", type=float, default=30.0)
    p.add_argument("--data-dir", type=Path, default=REPO / ".data")
    p.add_argument("--free-ports", action="store_true", help="pick free ports")
    args = p.parse_args()
    ports = StackPorts.free() if args.free_ports else StackPorts()
    codec = dev_codec_secrets(args.data_dir)  # payloads encrypted, as in production
    config = dev_config(args.data_dir, ports, args.time_scale)
    stack = Stack(replace(config, codec_keys=codec.keys, codec_token=codec.token))
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    if clear_temporal_state(args.data_dir):
        print("cleared the last run's sessions: the emulators start empty too", flush=True)
    print("starting Temporal, emulators, worker and API ...", flush=True)
    with stack:
        key = provision_demo_key(stack.config.keys_file)
        if args.demo:
            final = run_demo(stack.api_url, stack.payments_url, key)
            print("outcome:\n" + json.dumps(final, indent=2))
            return 0 if final.get("state") == "completed" else 1
        operator_key = provision_operator_key(stack.config.operator_keys_file)
        hold = place_hold(stack.payments_url)
        grow_key = increments_demo.provision_key(stack.config.keys_file)
        print(_banner(stack, key, hold, operator_key, grow_key), flush=True)
        while not stop.wait(1.0):
            stack.check_alive()
        print("\nstopping ...", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
