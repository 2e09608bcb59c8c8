"""Mask anything that looks like a card number (PAN) before it reaches a log line.

chargepay never handles a PAN, but a terminal vendor's payload, an exception from a payment
library or a mistyped field could carry one: 13-19 digits (optionally grouped by spaces or
dashes) that pass the Luhn check are replaced by `[PAN ****<last 4>]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.card_data import replace_card_numbers


def _mask(digits: str) -> str:
    return f"[PAN ****{digits[-4:]}]"


def redact_text(text: str) -> str:
    return replace_card_numbers(text, _mask)


def redact_value(value: Any) -> Any:
    """Strings, integers and containers of them, redacted; anything else as is."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        text = str(value)
        redacted = redact_text(text)
        return value if redacted == text else redacted
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value
