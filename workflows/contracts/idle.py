"""Idle (overstay) fees as they cross the workflows' boundary: the rules a session applies
and the fee it settled on (docs/idle-fees.md). The decisions are workflows/idle_fees.py's."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

# Who bills idle time: Monta (its price group has an idle fee, so its price includes it) or
# chargepay (the operator's rule for the point, added to the capture). Never both.
IdleSource = Literal["monta", "chargepay"]
# What ends idle time: the unplug the charger reports (`releasedAt`), or Monta's `completed`
# where the charger cannot tell (the car may still be there).
IdleEnd = Literal["released", "completed"]


class IdleRules(BaseModel):
    """The idle fee a session applies, net minor units of the tariff's currency."""

    model_config = ConfigDict(frozen=True)

    source: IdleSource
    per_minute_minor: int
    grace_minutes: int = 0
    cap_minor: int = 0  # per session, net; 0 = no cap (the hold bounds it)
    vat_rate: Decimal = Decimal("0")
    ends_at: IdleEnd = "completed"


class IdleFee(BaseModel):
    """Idle time of one charge and its fee (gross minor units), as settled."""

    model_config = ConfigDict(frozen=True)

    source: IdleSource
    minutes: Decimal  # real minutes from energy stopping to the unplug (or `completed`)
    billable_minutes: Decimal  # after the grace period
    fee_minor: int  # gross; billed by `source` (chargepay adds it only when it is chargepay)
    capped: Literal["cap", "hold"] | None = None  # the session cap, or what the hold had left
    ended: Literal["released", "completed", "watch_limit"] | None = None  # None: not yet
