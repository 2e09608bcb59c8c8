"""Signed Monta webhook batches the bench itself POSTs to the API, as Monta does.

Each entry is a charging charge of the bench's own (`charge`), cut from a real charge the
emulator served (`template`), so it parses exactly as a session's entry does. Its id is
fresh and its reading near its cap, so the API must signal it (coalesce.py: a charge it has
not seen is `first`, a newer reading near the cap `near_cap`): no entry is dropped as
redundant, unlike most of the entries in Monta's own batches.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from core.signature import HEADER, sign

# Far above the emulator's own charge ids: a bench charge never names a real one. Each use
# in a run (a phase's floor and ingest, the throughput's bare side) takes its own block.
FIRST_BENCH_CHARGE = 900_000_000
BLOCK = 1_000_000


def block(index: int) -> int:
    """The first charge id of block `index` (0 .. 99)."""
    return FIRST_BENCH_CHARGE + index * BLOCK


KWH_LIMIT = Decimal("100")
NEAR_CAP_KWH = Decimal("95")  # above any near-cap ratio the settings allow below 0.95


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def charge_ids(start: int = FIRST_BENCH_CHARGE) -> Iterator[int]:
    return itertools.count(start)


def charge(
    template: Mapping[str, Any], charge_id: int, workflow_id: str, step: int, now: float
) -> dict[str, Any]:
    """The template as a charging charge of `workflow_id`, `step` readings near its cap."""
    kwh = NEAR_CAP_KWH + Decimal(step) / 1000
    return {
        **template,
        "id": charge_id,
        "partnerExternalId": workflow_id,
        "state": "charging",
        "consumedKwh": float(kwh),
        "kwhLimit": float(KWH_LIMIT),
        "updatedAt": iso(now),
        "stoppedAt": None,
        "completedAt": None,
        "failedAt": None,
        "timeoutAt": None,
    }


def batch_body(charges: Sequence[Mapping[str, Any]], now: float) -> bytes:
    entries = [
        {
            "entityType": "charge",
            "entityId": str(c["id"]),
            "eventType": "updated",
            "eventTime": c["updatedAt"],
            "payload": c,
        }
        for c in charges
    ]
    doc = {"entries": entries, "pending": 0, "timestamp": int(now * 1000)}
    return json.dumps(doc, separators=(",", ":")).encode()


async def post_batch(
    http: httpx.AsyncClient, url: str, secret: str, body: bytes
) -> tuple[int, dict[str, Any]]:
    """POST one signed batch; (status, the API's ack or {})."""
    headers = {"Content-Type": "application/json", HEADER: sign(secret, body)}
    resp = await http.post(url, content=body, headers=headers)
    return resp.status_code, (resp.json() if resp.status_code == 200 else {})


def template_of(charge_json: Mapping[str, Any]) -> dict[str, Any]:
    """A real charge as the emulator serves it, minus what names the real charge."""
    return {k: v for k, v in charge_json.items() if k not in ("id", "partnerExternalId")}
