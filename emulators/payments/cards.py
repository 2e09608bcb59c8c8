"""Test cards (card-present) and payment tokens (card-not-present) the acquirer knows.

Only brand + last 4 ever leave this module: a card number is looked at, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.card_data import luhn_valid


@dataclass(frozen=True)
class CardOutcome:
    brand: str
    last4: str
    decline_code: str | None = None  # None = approved


# Card numbers that decline, Stripe-style test numbers.
_DECLINING_CARDS: dict[str, str] = {
    "4000000000009995": "insufficient_funds",
    "4000000000000002": "do_not_honor",
    "4000000000000069": "expired_card",
}

# Card-not-present payment tokens (a vault reference, never a PAN).
TOKENS: dict[str, CardOutcome] = {
    "tok_visa": CardOutcome("VISA", "4242"),
    "tok_mastercard": CardOutcome("MASTERCARD", "4444"),
    "tok_chargeDeclinedInsufficientFunds": CardOutcome("VISA", "9995", "insufficient_funds"),
    "tok_chargeDeclined": CardOutcome("VISA", "0002", "do_not_honor"),
    "tok_chargeDeclinedExpiredCard": CardOutcome("VISA", "0069", "expired_card"),
}


class InvalidCardNumber(ValueError):
    pass


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "VISA"
    prefix2, prefix4 = int(number[:2]), int(number[:4])
    if 51 <= prefix2 <= 55 or 2221 <= prefix4 <= 2720:
        return "MASTERCARD"
    if prefix2 in (34, 37):
        return "AMEX"
    return "UNKNOWN"


def read_card(number: str) -> CardOutcome:
    """What the acquirer decides for a card tapped on a terminal."""
    digits = number.replace(" ", "")
    if not (digits.isdigit() and 12 <= len(digits) <= 19 and luhn_valid(digits)):
        raise InvalidCardNumber("card_number must be 12-19 digits with a valid check digit")
    return CardOutcome(card_brand(digits), digits[-4:], _DECLINING_CARDS.get(digits))
