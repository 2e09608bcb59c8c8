"""A demo terminal: a provisioned key, a hold on the acquirer emulator, one paid session."""

from __future__ import annotations

import json
import shlex
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from api.keys import create_key
from api.operator_keys import create_key as create_operator_key

DEMO_OPERATOR = "alpha"
DEMO_TERMINAL = "DEMO1"
DEMO_CHARGE_POINTS = [101, 102, 103, 104, 105, 106, 107]
DEMO_CHARGE_POINT = 103  # DC 50 kW: a 15 EUR hold is done in about a minute at TIME_SCALE 30
DEMO_AMOUNT = {"amount_minor": 1500, "currency": "EUR"}
DEMO_CARD = "4242424242424242"
FINAL = {"completed", "voided", "declined", "start_failed", "rejected"}


def provision_demo_key(keys_file: Path) -> str:
    return create_key(keys_file, DEMO_OPERATOR, DEMO_TERMINAL, DEMO_CHARGE_POINTS, "demo")[1]


def provision_operator_key(operator_keys_file: Path) -> str:
    """An operator credential for the walk-through's actions on flagged sessions."""
    return create_operator_key(operator_keys_file, DEMO_OPERATOR, "demo-operator")[1]


def place_hold(payments_url: str, card_number: str = DEMO_CARD) -> str:
    """What the terminal does when the driver taps: a hold on the card (never stored here)."""
    body = {"terminal_id": DEMO_TERMINAL, "card_number": card_number, **DEMO_AMOUNT}
    resp = httpx.post(f"{payments_url}/v1/terminal/holds", json=body, timeout=10.0)
    resp.raise_for_status()
    return str(resp.json()["authorization_ref"])


def session_body(hold_ref: str, transaction_id: str | None = None) -> dict[str, Any]:
    return {
        "terminal_transaction_id": transaction_id or f"demo_{uuid.uuid4().hex[:8]}",
        "charge_point_id": DEMO_CHARGE_POINT,
        "amount": DEMO_AMOUNT,
        "card_brand": "VISA",
        "card_last4": DEMO_CARD[-4:],
        "authorization_ref": hold_ref,
    }


def curl_start(api_url: str, key: str, hold_ref: str) -> str:
    body = json.dumps(session_body(hold_ref))
    return (
        f"curl -sS -X POST {api_url}/v1/sessions \\\n"
        f"  -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(body)}"
    )


def run_demo(api_url: str, payments_url: str, key: str, timeout_s: float = 600.0) -> Any:
    """Start one session and follow it to its final state; returns the final status."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=api_url, headers=headers, timeout=30.0) as http:
        started = http.post("/v1/sessions", json=session_body(place_hold(payments_url)))
        print(f"POST /v1/sessions -> {started.status_code} {started.text}")
        started.raise_for_status()
        sid = started.json()["session_id"]
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            status = http.get(f"/v1/sessions/{sid}").json()
            line = f"{status.get('state')} {status.get('consumed_kwh')} kWh"
            if line != last:
                print(f"  {sid}: {line}")
                last = line
            if status.get("state") in FINAL:
                return status
            time.sleep(1.0)
    raise TimeoutError(f"session {sid} did not finish within {timeout_s}s")
