"""Builders shared by the session unit tests (snapshots, tariffs, instants)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from workflows.contracts import ChargeSnapshot, Tariff

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def snap(seconds: float, kwh: str = "0", state: str = "charging", **kw: Any) -> ChargeSnapshot:
    return ChargeSnapshot(
        charge_id=kw.pop("charge_id", 7),
        state=state,
        consumed_kwh=Decimal(kwh),
        updated_at=at(seconds),
        **kw,
    )


def tariff(**kw: Any) -> Tariff:
    base: dict[str, Any] = {"currency": "EUR", "per_kwh_minor": 55, "vat_rate": Decimal("0.25")}
    return Tariff(**{**base, **kw})
