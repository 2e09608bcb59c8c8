"""`make dev` with increments on for one demo operator (docs/increments.md): bravo grows a
€25 first hold towards a €150 ceiling, so a token start on its charge point shows the hold
growing in the status. Alpha, the README's walk-through operator, is left as committed."""

from __future__ import annotations

import json
import os
import shlex
import uuid
from pathlib import Path

from api.keys import create_key
from devstack.operators_file import write_operators_file

OPERATOR = "bravo"
TERMINAL = "DEMO2"
CHARGE_POINT = 201  # AC 22 kW: the first increment comes about 4 minutes in at TIME_SCALE 30
CEILING_MINOR = 15000
FIRST_HOLD_MINOR = 2500
SETTINGS = {"increment_ceiling_minor": CEILING_MINOR, "first_hold_minor": FIRST_HOLD_MINOR}
# The emulated acquirer answers at once; a short timeout keeps the default lead (300 s of
# charge time) above the view's lag plus the timeout at TIME_SCALE 30 (api/increment_lead.py).
# It is below a payment attempt's 30 s start-to-close, which docs/configuration.md advises
# against: an increment in flight on a killed worker would end unanswered (and be asked
# again before settling). The dev stack kills no worker.
INCREMENT_TIMEOUT_S = "5"


def operators_env(data_dir: Path) -> dict[str, str]:
    """The dev stack's operators file (bravo with increments) and the increment's timeout;
    an operators file set by hand wins."""
    if "CHARGEPAY_OPERATORS_FILE" in os.environ:
        return {}
    path = write_operators_file(data_dir / "operators-dev.toml", {OPERATOR: SETTINGS})
    return {
        "CHARGEPAY_OPERATORS_FILE": str(path),
        "CHARGEPAY_INCREMENT_TIMEOUT_S": INCREMENT_TIMEOUT_S,
    }


def provision_key(keys_file: Path) -> str:
    return create_key(keys_file, OPERATOR, TERMINAL, [CHARGE_POINT], "demo-increments")[1]


def banner(api_url: str, key: str) -> str:
    body = json.dumps(
        {
            "terminal_transaction_id": f"grow_{uuid.uuid4().hex[:8]}",
            "charge_point_id": CHARGE_POINT,
            "amount": {"amount_minor": CEILING_MINOR, "currency": "EUR"},
            "payment_token": "tok_visa",
            "card_brand": "VISA",
            "card_last4": "4242",
        }
    )
    first, ceiling = FIRST_HOLD_MINOR // 100, CEILING_MINOR // 100
    return f"""Increments (docs/increments.md): operator {OPERATOR} blocks {first} EUR first on a
token start and grows the hold towards {ceiling} EUR while the car charges.
Terminal key ({OPERATOR} / {TERMINAL}): {key}
curl -sS -X POST {api_url}/v1/sessions \\
  -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\
  -d {shlex.quote(body)}
The status's `authorized` and `increments` show the hold grow."""
