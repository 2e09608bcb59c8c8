"""Shared helpers for API tests: dev env values, keys, signed webhook bodies."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from temporalio.client import (
    DescribeWorkflowInput,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowExecutionDescription,
    WorkflowUpdateHandle,
)

from api.keys import create_key
from core import signature
from devstack.envfile import read_env_file

DEV_ENV = read_env_file()
ALPHA_SECRET = DEV_ENV["CHARGEPAY_ALPHA_WEBHOOK_SECRETS"].split(",")[0]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def new_key(path: Path, terminal: str, cps: Sequence[int], operator: str = "alpha") -> str:
    return create_key(path, operator, terminal, list(cps))[1]


def session_body(tx: str, cp: int = 101, amount: int = 5000, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "terminal_transaction_id": tx,
        "charge_point_id": cp,
        "amount": {"amount_minor": amount, "currency": "EUR"},
        "authorization_ref": f"hold_{tx}",
        "card_brand": "VISA",
        "card_last4": "4242",
    }
    body.update(extra)
    return body


def charge_entry(
    session_id: str | None,
    charge_id: int,
    kwh: str,
    updated_at: str,
    state: str = "charging",
    kwh_limit: str | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": charge_id,
        "state": state,
        "consumedKwh": kwh,
        "updatedAt": updated_at,
        "chargePointId": 101,
        "price": "1.50",
        "currency": {"identifier": "EUR", "decimals": 2},
    }
    if session_id is not None:
        payload["partnerExternalId"] = session_id
    if kwh_limit is not None:
        payload["kwhLimit"] = kwh_limit
    return {
        "entityType": "charge",
        "entityId": str(charge_id),
        "eventType": "updated",
        "payload": payload,
    }


def signed_batch(
    entries: Sequence[Mapping[str, Any]], secret: str = ALPHA_SECRET
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(
        {"entries": list(entries), "pending": 0, "timestamp": 1}, separators=(",", ":")
    ).encode()
    return raw, {signature.HEADER: signature.sign(secret, raw), "Content-Type": "application/json"}


class CountingInterceptor(Interceptor):
    """Counts the workflow calls a client makes (by method name), and makes them."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Counting(next, self.calls)


class _Counting(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, calls: Counter[str]) -> None:
        super().__init__(next)
        self._calls = calls

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        self._calls["describe_workflow"] += 1
        return await super().describe_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        self._calls["query_workflow"] += 1
        return await super().query_workflow(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        self._calls["start_update_with_start_workflow"] += 1
        return await super().start_update_with_start_workflow(input)
