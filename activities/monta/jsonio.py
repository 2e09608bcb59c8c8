"""JSON in and out of Monta without ever passing money through a float.

Monta types `price`, `priceLimit` and `amount` as JSON numbers: we read every non-integer
number as Decimal and write Decimals back as exact JSON numbers.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "@@decimal:"
_MARKED = re.compile(r'"@@decimal:([-+0-9.eE]+)"')


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send a non-finite number to Monta: {value}")
        return f"{_MARK}{value}"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """Compact JSON; Decimals become JSON numbers with exactly their digits."""
    text = json.dumps(_mark(value), separators=(",", ":"), ensure_ascii=False)
    return _MARKED.sub(r"\1", text).encode()
