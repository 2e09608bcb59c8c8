"""[3 of 7] finding 4: the dev stack encrypts payloads as production does. History holds
ciphertext; the UI's codec endpoint (the dev listener) and the temporal CLI, through the
API's /codec with the dev token, read it; the API's /codec refuses a caller without it."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
from google.protobuf.json_format import MessageToDict
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from devstack.codec_secrets import dev_codec_secrets
from devstack.stack import BIN
from tests.api.stack import running_stack

# How the CLI's JSON shows a payload's `encoding`: base64 of the codec's metadata value.
ENCRYPTED = base64.b64encode(b"binary/encrypted").decode()


async def _first_input(address: str, session_id: str) -> Payload:
    client = await Client.connect(address)  # no codec: what Temporal stores
    async for event in client.get_workflow_handle(session_id).fetch_history_events():
        return event.workflow_execution_started_event_attributes.input.payloads[0]
    raise AssertionError("no history")


def test_history_is_ciphertext_that_the_ui_and_the_cli_decode(
    log_dir: Path, tmp_path: Path
) -> None:
    codec = dev_codec_secrets(tmp_path)
    shape: dict[str, Any] = {
        "codec_keys": codec.keys,
        "codec_token": codec.token,
        "headless_ui": False,
    }
    with running_stack(log_dir, **shape) as s:
        tx = f"enc_{uuid.uuid4().hex[:8]}"
        key = s.new_key("ENC1", [103])
        body = {
            "terminal_transaction_id": tx,
            "charge_point_id": 103,
            "amount": {"amount_minor": 1500, "currency": "EUR"},
            "authorization_ref": s.place_hold("ENC1", 1500),
        }
        started = s.start(key, body)
        assert started.status_code == 201, started.text  # the API reads its own sessions
        sid = started.json()["session_id"]
        payload = asyncio.run(_first_input(s.stack.temporal_address, sid))
        assert payload.metadata["encoding"] == b"binary/encrypted"
        assert tx.encode() not in payload.data

        wire = {"payloads": [MessageToDict(payload)]}
        assert s.stack.dev_codec_url is not None
        ui = httpx.post(f"{s.stack.dev_codec_url}/decode", json=wire, timeout=10)
        assert ui.status_code == 200, ui.text
        assert tx in base64.b64decode(ui.json()["payloads"][0]["data"]).decode()
        api_codec = f"{s.stack.api_url}/codec"
        assert httpx.post(f"{api_codec}/decode", json=wire, timeout=10).status_code == 401

        def show(*codec_flags: str) -> str:
            shown = subprocess.run(
                [
                    str(BIN / "temporal"), "workflow", "show", "--output", "json",
                    "--address", s.stack.temporal_address, "--workflow-id", sid, *codec_flags,
                ],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert shown.returncode == 0, shown.stderr
            return shown.stdout

        # Temporal stores ciphertext; through the API's /codec the CLI sees the payloads.
        assert ENCRYPTED in show()
        auth = f"Bearer {codec.token}"
        assert ENCRYPTED not in show("--codec-endpoint", api_codec, "--codec-auth", auth)
        s.stop(key, sid)
        s.wait_state(key, sid)
