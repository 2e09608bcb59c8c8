"""An operator's idle (overstay) fee at a charge point, as the operators file sets it.

Used only where Monta's price group has no idle fee of its own (docs/idle-fees.md): Monta's
price then does not bill idle time, and chargepay adds this fee to its capture.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IdleFeeRule(BaseModel):
    """Net minor units of the charge point's currency, like Monta's price groups."""

    model_config = ConfigDict(frozen=True)

    per_minute_minor: int = Field(default=0, ge=0)
    # Free minutes after energy stopped flowing, before the fee counts.
    grace_minutes: int = Field(default=0, ge=0)
    cap_minor: int = Field(default=0, ge=0)  # per session; 0 = no cap (the hold bounds it)
    # The charger reports the unplug (Monta's `releasedAt`): idle time ends there. Without
    # it idle time ends at Monta's `completed`, whether or not the car is still there.
    release_detection: bool = False
