"""A Monta webhook batch -> the newest snapshot per charge of this operator's sessions.

Pure: no I/O. Entries that are not charges, not ours (no `partnerExternalId` of this
operator's sessions) or unreadable are dropped; within a batch only the newest snapshot
per charge survives (merging is idempotent, so older ones would be no-ops anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from activities.monta.convert import parse_charge, snapshot_from_charge
from core.money import MoneyUnit
from workflows.contracts import ChargeSnapshot

log = logging.getLogger(__name__)


class InvalidBatch(ValueError):
    """The body is not a webhook batch at all (`{"entries": [...]}`)."""


@dataclass
class Batch:
    snapshots: list[ChargeSnapshot] = field(default_factory=list)
    entries: int = 0
    not_ours: int = 0
    unreadable: int = 0


def _newer(a: ChargeSnapshot, b: ChargeSnapshot) -> bool:
    return (a.updated_at, a.consumed_kwh) > (b.updated_at, b.consumed_kwh)


def _ours(payload: dict[str, Any], prefix: str) -> bool:
    pid = payload.get("partnerExternalId")
    return isinstance(pid, str) and pid.startswith(prefix)


def read_batch(body: Any, operator: str, money_unit: MoneyUnit) -> Batch:
    if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
        raise InvalidBatch('expected {"entries": [...]}')
    prefix = f"session-{operator}-"
    batch = Batch(entries=len(body["entries"]))
    newest: dict[int, ChargeSnapshot] = {}
    for entry in body["entries"]:
        payload = entry.get("payload") if isinstance(entry, dict) else None
        if (
            not isinstance(payload, dict)
            or entry.get("entityType") != "charge"
            or not _ours(payload, prefix)
        ):
            batch.not_ours += 1
            continue
        try:
            snap = snapshot_from_charge(parse_charge(payload), money_unit)
        except (ValidationError, ValueError, ArithmeticError) as exc:
            log.warning("unreadable charge entry for %s: %s", payload.get("partnerExternalId"), exc)
            batch.unreadable += 1
            continue
        seen = newest.get(snap.charge_id)
        if seen is None or _newer(snap, seen):
            newest[snap.charge_id] = snap
    batch.snapshots = list(newest.values())
    return batch
