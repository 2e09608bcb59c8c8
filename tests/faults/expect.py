"""What a cell expects of its session: the outcome asserted exactly, beside the invariants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

ANY: Final = "*"  # a field the cell does not pin down
# "*": either way (a cell that allows a flag, or a hold it does not pin down).
AttentionRule = Literal["none", "required", "allowed", "*"]
HoldOutcome = Literal["captured", "voided", "open", "none", "*"]


@dataclass(frozen=True)
class Expect:
    """`state`: the states the session may be in when observed; `final` False means the cell
    observes a session that waits (for an operator or a retry) instead of finishing."""

    state: frozenset[str]
    reason: str | None = ANY
    attention: AttentionRule = "none"
    attention_prefix: str | None = None
    charges: int = 1
    hold: HoldOutcome = "captured"
    captures: int | None = None  # capture records at the acquirer (None: as `hold` implies)
    voids: int | None = None
    captured_is_price: bool = False  # captured == the session's price == Monta's price
    uncollected_is_price: bool = False  # nothing captured, the whole price uncollected
    holds_placed: int | None = None  # card-not-present: holds created for the session
    void_after_charge_end: bool = False  # the void came after Monta ended the charge
    final: bool = True
    # After the faults are removed: the state the session must then reach on its own.
    then_state: str | None = None

    def describe(self) -> str:
        parts = ["|".join(sorted(self.state))]
        if self.reason != ANY:
            parts.append(f"reason={self.reason}")
        if self.attention != "none":
            parts.append(f"attention {self.attention} {self.attention_prefix or ''}".rstrip())
        parts.append(f"charges={self.charges}")
        parts.append(f"hold {self.hold}")
        if self.captured_is_price:
            parts.append("captured=price")
        if self.uncollected_is_price:
            parts.append("uncollected=price")
        if self.holds_placed is not None:
            parts.append(f"holds placed={self.holds_placed}")
        if self.void_after_charge_end:
            parts.append("void after charge ended")
        if self.then_state:
            parts.append(f"then {self.then_state}")
        return ", ".join(parts)


def completed(**kw: object) -> Expect:
    """A charge billed normally: one charge, the hold captured once at Monta's price."""
    base: dict[str, object] = {
        "state": frozenset({"completed"}),
        "captures": 1,
        "captured_is_price": True,
    }
    return Expect(**{**base, **kw})  # type: ignore[arg-type]


def ended(state: str, reason: str | None, **kw: object) -> Expect:
    """A session that ends without a charge: the hold voided once (or never placed)."""
    base: dict[str, object] = {
        "state": frozenset({state}),
        "reason": reason,
        "charges": 0,
        "hold": "voided",
        "captures": 0,
        "voids": 1,
    }
    return Expect(**{**base, **kw})  # type: ignore[arg-type]
