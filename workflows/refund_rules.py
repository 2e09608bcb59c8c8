"""Whether a refund may go to the acquirer: the currency of the capture, and at most what is
left of it after earlier refunds. Pure: the session records workflow asks it in its update's
validator (no history for a refusal) and again under its lock, so concurrent requests
cannot together refund more than was captured."""

from __future__ import annotations

from core.money import Money
from workflows.contracts import REFUSED_ABOVE_REFUNDABLE, REFUSED_CURRENCY


def refund_refusal(
    captured: Money, refunded_minor: int, amount: Money
) -> tuple[str, str, dict[str, object]] | None:
    """(error code, message, details) when the refund may not be made, else None."""
    if amount.currency != captured.currency:
        message = f"the capture is in {captured.currency}, not {amount.currency}"
        return REFUSED_CURRENCY, message, {"currency": captured.currency}
    left = captured.amount_minor - refunded_minor
    if amount.amount_minor <= 0 or amount.amount_minor > left:
        message = f"{amount} is more than the {left} minor units still refundable"
        details: dict[str, object] = {
            "refundable_minor": left,
            "captured_minor": captured.amount_minor,
        }
        return REFUSED_ABOVE_REFUNDABLE, message, details
    return None
