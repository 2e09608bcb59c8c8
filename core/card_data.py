"""What card data may enter chargepay: a known brand, a vault token, and free text with no
card number in it. Nothing PAN-like may reach Temporal history (the request is its first
event), so the API refuses it at the door and the session's contract refuses it again.

Ids are not checked: a terminal's transaction id or a hold reference may be all digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator


class CardBrand(StrEnum):
    """The card schemes a terminal or an acquirer names (Stripe's list, upper case)."""

    VISA = "VISA"
    MASTERCARD = "MASTERCARD"
    MAESTRO = "MAESTRO"
    AMEX = "AMEX"
    DISCOVER = "DISCOVER"
    DINERS = "DINERS"
    JCB = "JCB"
    UNIONPAY = "UNIONPAY"
    CARTES_BANCAIRES = "CARTES_BANCAIRES"
    EFTPOS_AU = "EFTPOS_AU"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def _missing_(cls, value: object) -> CardBrand | None:
        """Terminals and Stripe spell brands in lower case: `visa` is VISA."""
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        return None


# A vault token: Stripe's (`tok_`, `pm_`, `src_`, `card_`) or the acquirer emulator's test
# tokens, which use Stripe's names. A bare digit run is not a token: it may be a card number.
PAYMENT_TOKEN_PATTERN = r"^(tok|pm|src|card)_[A-Za-z0-9_]{1,200}$"

# 13 to 19 digits, optionally grouped by single spaces or dashes as printed on a card.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
_SEPARATORS = re.compile(r"([ -])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_number_end(groups: list[str], start: int) -> int | None:
    """The furthest index `end` such that groups[start:end] joined is a card number."""
    for end in range(len(groups), start, -1):
        digits = "".join(groups[start:end])
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return end
    return None


def _replace_in_run(run: str, replacement: Callable[[str], str]) -> str:
    # Separated digit groups may join a card number to its neighbours ("T1-4111..."): try
    # every run of whole groups, longest first, from each group on.
    parts = _SEPARATORS.split(run)
    groups, seps = parts[0::2], [*parts[1::2], ""]
    out: list[str] = []
    i = 0
    while i < len(groups):
        end = _card_number_end(groups, i)
        if end is None:
            out.append(groups[i] + seps[i])
            i += 1
        else:
            out.append(replacement("".join(groups[i:end])) + seps[end - 1])
            i = end
    return "".join(out)


def replace_card_numbers(text: str, replacement: Callable[[str], str]) -> str:
    """`text` with each card number in it replaced by `replacement(its digits)`."""
    if not any(c.isdigit() for c in text):
        return text
    return _DIGIT_RUN.sub(lambda m: _replace_in_run(m.group(0), replacement), text)


def contains_card_number(text: str) -> bool:
    """True when `text` holds 13-19 digits (grouped as on a card or not) passing Luhn."""
    return replace_card_numbers(text, lambda _digits: "") != text


def refuse_card_number(text: str | None) -> str | None:
    """A pydantic validator for free text: raises ValueError on a card number."""
    if text is not None and contains_card_number(text):
        raise ValueError("must not contain a card number")
    return text


# Free text that is recorded (stop reasons, operator notes): a card number is refused.
TextWithoutCardNumber = Annotated[str, AfterValidator(refuse_card_number)]
