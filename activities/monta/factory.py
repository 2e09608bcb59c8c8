"""Wiring for the worker: one Monta client and one activities object per operator."""

from __future__ import annotations

from activities.monta.activities import LocalTariffs, MontaActivities
from activities.monta.client import MontaClient
from core.operators import Operator
from settings import Settings

# Price groups change rarely; a start still goes out with the cached priceGroupId.
DEFAULT_TARIFF_TTL_S = 300.0


def build_monta_activities(
    operator: Operator,
    settings: Settings,
    *,
    tariff_ttl_s: float = DEFAULT_TARIFF_TTL_S,
    local_tariffs: LocalTariffs | None = None,
) -> MontaActivities:
    """Register `.activities()` on `operator.monta_task_queue`; close `.client` on shutdown.
    Run `scopes.check_consumer(acts.client, operator.key)` before polling."""
    client = MontaClient.from_operator(operator, settings)
    return MontaActivities(
        client,
        settings.monta_money_unit,
        settings.clock.wall_seconds(tariff_ttl_s),
        local_tariffs=local_tariffs,
        vat_rate=operator.vat_rate if operator.vat_rate is not None else settings.default_vat_rate,
    )
