"""Webhook configs (one per credential), the entry log, and batched signed delivery.

Like Monta: entries are batched into `{entries, pending, timestamp}` POSTs every interval,
signed `X-Monta-Signature: sha1=<hex HMAC-SHA1(secret, body)>` over the exact compact body.
A non-2xx or unreachable receiver keeps the entries; they go again on the next rounds until
delivered or older than the max age (24 h emulated).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.signature import HEADER, sign
from emulators.monta.faults import Faults
from emulators.monta.timefmt import iso

DELIVERY_TIMEOUT_S = 5.0


@dataclass
class Config:
    client_id: str
    consumer_id: int
    operator: str
    operator_id: int
    url: str
    secret: str
    event_types: list[str]
    custom_headers: dict[str, str] | None

    def wants(self, plural: str) -> bool:
        return "*" in self.event_types or plural in self.event_types

    def public(self) -> dict[str, Any]:
        return {
            "webhookUrl": self.url,
            "webhookSecret": self.secret,
            "eventTypes": self.event_types,
            "customHeaders": (
                {"headers": self.custom_headers} if self.custom_headers is not None else None
            ),
        }


@dataclass
class Entry:
    id: int
    config: Config
    charge_id: int
    event_type: str  # created | updated
    event_time: float
    payload: dict[str, Any]
    not_before: float
    status: str = "pending"  # pending | completed | failed
    error: dict[str, str | None] | None = None
    updated_at: float | None = None
    attempts: int = 0

    def wire(self) -> dict[str, Any]:
        return {
            "entityType": "charge",
            "entityId": str(self.charge_id),
            "eventType": self.event_type,
            "eventTime": iso(self.event_time),
            "payload": self.payload,
        }

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "consumerId": self.config.consumer_id,
            "operatorId": self.config.operator_id,
            "eventType": "charges",
            "payload": self.wire(),
            "status": self.status,
            "error": self.error,
            "createdAt": iso(self.event_time),
            "updatedAt": iso(self.updated_at),
        }


@dataclass
class Webhooks:
    interval_wall: float
    max_age_wall: float
    batch_size: int
    faults: Faults
    configs: dict[str, Config] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)  # everything, for GET /entries
    queue: dict[str, list[Entry]] = field(default_factory=dict)  # undelivered, per client
    batches: list[dict[str, Any]] = field(default_factory=list)  # ground truth
    charge_log: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    dropped: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _inflight: set[str] = field(default_factory=set)

    def clear(self) -> None:
        self.configs.clear()
        self.entries.clear()
        self.queue.clear()
        self.batches.clear()
        self.charge_log.clear()
        self.dropped = 0

    def enqueue(
        self, operator: str, charge_id: int, event_type: str, payload: dict[str, Any], now: float
    ) -> None:
        wf = self.faults.webhook()
        for cfg in self.configs.values():
            if cfg.operator != operator or not cfg.wants("charges"):
                continue
            if wf and self.faults.chance(wf.drop_rate):
                self.dropped += 1  # Monta: "no guarantee every change is delivered"
                continue
            delay = wf.delay_s if wf else 0.0
            entry = Entry(next(self._ids), cfg, charge_id, event_type, now, payload, now + delay)
            self.entries.append(entry)
            self.queue.setdefault(cfg.client_id, []).append(entry)

    def prune(self, now: float) -> None:
        """Forget entries older than the max age; undelivered ones end `failed`."""
        cutoff = now - self.max_age_wall
        for q in self.queue.values():
            for e in q:
                if e.event_time < cutoff:
                    e.status = "failed"
            q[:] = [e for e in q if e.event_time >= cutoff]
        if self.entries and self.entries[0].event_time < cutoff:
            self.entries = [e for e in self.entries if e.event_time >= cutoff]

    def due(self, now: float) -> list[tuple[Config, list[Entry], int]]:
        """Batches to send this round (one per config that is not mid-delivery)."""
        out = []
        for client_id, q in self.queue.items():
            cfg = self.configs.get(client_id)
            if cfg is None or client_id in self._inflight:
                continue
            ready = [e for e in q if e.not_before <= now]
            if not ready:
                continue
            batch = ready[: self.batch_size]
            self._inflight.add(client_id)  # released when deliver() finishes
            out.append((cfg, batch, len(q) - len(batch)))
        return out

    def body(self, batch: list[Entry], pending: int, now: float) -> bytes:
        wire = [e.wire() for e in batch]
        wf = self.faults.webhook()
        if wf:
            wire += [w for w in wire if self.faults.chance(wf.duplicate_rate)]
            if wf.reorder:
                self.faults.rng.shuffle(wire)
        doc = {"entries": wire, "pending": pending, "timestamp": int(now * 1000)}
        return json.dumps(doc, separators=(",", ":")).encode()

    async def deliver(
        self,
        client: httpx.AsyncClient,
        cfg: Config,
        batch: list[Entry],
        pending: int,
        now: float,
        clock: Callable[[], float],
    ) -> None:
        body = self.body(batch, pending, now)
        headers = {"Content-Type": "application/json", HEADER: sign(cfg.secret, body)}
        headers.update(cfg.custom_headers or {})
        error: str | None = None
        status = 0
        # The log's instant is when the POST leaves, after the batch was built and signed.
        sent = clock()
        try:
            resp = await client.post(cfg.url, content=body, headers=headers)
            status = resp.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except (httpx.HTTPError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self._inflight.discard(cfg.client_id)
        self._record(cfg, batch, now, sent, status, error)

    def _record(
        self,
        cfg: Config,
        batch: list[Entry],
        now: float,
        sent: float,
        status: int,
        error: str | None,
    ) -> None:
        ok = error is None
        for e in batch:
            e.attempts += 1
            e.updated_at = now
            e.status = "completed" if ok else "failed"
            e.error = None if ok else {"errorCode": "DELIVERY_FAILED", "errorMessage": error}
            self.charge_log.setdefault(e.charge_id, []).append(
                {
                    "t": sent,
                    "consumedKwh": e.payload.get("consumedKwh"),
                    "state": e.payload.get("state"),
                    "status": status,
                }
            )
        if ok:
            done = {id(e) for e in batch}
            q = self.queue.get(cfg.client_id, [])
            q[:] = [e for e in q if id(e) not in done]
        self.batches.append(
            {
                "t": sent,
                "operator": cfg.operator,
                "client_id": cfg.client_id,
                "entries": len(batch),
                "status": status,
                "error": error,
            }
        )

    async def run(self, clock_now: Callable[[], float]) -> None:
        """The delivery loop: one round per interval, configs delivered concurrently."""
        tasks: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT_S) as client:
            while True:
                await asyncio.sleep(self.interval_wall)
                now = clock_now()
                self.prune(now)
                for cfg, batch, pending in self.due(now):
                    task = asyncio.create_task(
                        self.deliver(client, cfg, batch, pending, now, clock_now)
                    )
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
