"""Card data at the door: brands, token format, and card numbers hidden in free text."""

from __future__ import annotations

import re

import pytest

from core.card_data import (
    PAYMENT_TOKEN_PATTERN,
    CardBrand,
    contains_card_number,
    luhn_valid,
)


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424242",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "card 5555555555554444 declined",
        "378282246310005",  # AMEX, 15 digits
        "6011111111111117",
        "4222222222222",  # 13 digits
        "T1-4111-1111-1111-1111",  # joined to a neighbouring group of digits
        "ref 7 4111 1111 1111 1111",
    ],
)
def test_card_numbers_are_found(text: str) -> None:
    assert contains_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "terminal",
        "4242424242424241",  # fails the Luhn check
        "424242424242",  # 12 digits: too short to be a card number
        "123456789012345678901234567890",  # a 30-digit id is one run, not a card
        "stopped at 10001 after 42.5 kWh",
        "",
    ],
)
def test_other_text_passes(text: str) -> None:
    assert not contains_card_number(text)


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


@pytest.mark.parametrize("spelled", ["VISA", "visa", "Visa"])
def test_brands_read_in_any_case(spelled: str) -> None:
    assert CardBrand(spelled) is CardBrand.VISA


def test_a_card_number_is_not_a_brand() -> None:
    with pytest.raises(ValueError):
        CardBrand("4111111111111111")


@pytest.mark.parametrize("token", ["tok_visa", "pm_1Pabc", "tok_chargeDeclined", "card_9"])
def test_tokens_have_a_token_format(token: str) -> None:
    assert re.match(PAYMENT_TOKEN_PATTERN, token)


@pytest.mark.parametrize("token", ["4242424242424242", "visa", "tok_", "tok visa"])
def test_bare_digits_and_free_text_are_not_tokens(token: str) -> None:
    assert not re.match(PAYMENT_TOKEN_PATTERN, token)
