"""Mask anything that looks like a card number (PAN) before it reaches a log line.

chargepay never handles a PAN, but a terminal vendor's payload, an exception from a payment
library or a mistyped field could carry one: 13-19 digits (optionally grouped by spaces or
dashes) that pass the Luhn check are replaced by `[PAN ****<last 4>]`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# 13-19 digits, single spaces or dashes allowed between them, not part of a longer number.
_CANDIDATE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
_SEPARATORS = re.compile(r"([ -])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _pan_end(groups: list[str], start: int) -> int | None:
    """The furthest group index `end` such that groups[start:end] is a Luhn-valid PAN."""
    for end in range(len(groups), start, -1):
        digits = "".join(groups[start:end])
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return end
    return None


def _mask(match: re.Match[str]) -> str:
    # Separated digit groups may join a PAN to its neighbours ("T1-4111…"): try every run
    # of whole groups, longest first, from each group on.
    parts = _SEPARATORS.split(match.group(0))
    groups, seps = parts[0::2], [*parts[1::2], ""]
    out: list[str] = []
    i = 0
    while i < len(groups):
        end = _pan_end(groups, i)
        if end is None:
            out.append(groups[i] + seps[i])
            i += 1
        else:
            out.append(f"[PAN ****{''.join(groups[i:end])[-4:]}]" + seps[end - 1])
            i = end
    return "".join(out)


def redact_text(text: str) -> str:
    return _CANDIDATE.sub(_mask, text) if any(c.isdigit() for c in text) else text


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
