"""PAN redaction: Luhn-valid 13-19 digit runs are masked, everything else left alone."""

from __future__ import annotations

import pytest

from observability.redact import redact_text, redact_value


@pytest.mark.parametrize(
    "pan",
    ["4111111111111111", "5555 5555 5555 4444", "3782-822463-10005", "4000000000000002"],
)
def test_card_numbers_are_masked_to_last_four(pan: str) -> None:
    out = redact_text(f"card {pan} declined")
    digits = pan.replace(" ", "").replace("-", "")
    assert digits not in out.replace(" ", "").replace("-", "")
    assert out == f"card [PAN ****{digits[-4:]}] declined"


@pytest.mark.parametrize(
    "text",
    [
        "charge 4111111111111112 is not a card",  # fails Luhn
        "charge id 123456 at CP 42",  # too short
        "session-alpha-T1-tx-20261122",
        "12345678901234567890123",  # longer than any PAN
    ],
)
def test_other_numbers_are_kept(text: str) -> None:
    assert redact_text(text) == text


def test_nested_values_and_integers() -> None:
    value = {"a": ["x 4111111111111111"], "n": 4111111111111111, "ok": 42, "flag": True}
    assert redact_value(value) == {
        "a": ["x [PAN ****1111]"],
        "n": "[PAN ****1111]",
        "ok": 42,
        "flag": True,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("session-alpha-T1-4111111111111111", "session-alpha-T1-[PAN ****1111]"),
        ("ref 7-4111 1111 1111 1111-2", "ref 7-[PAN ****1111]-2"),
        ("a 4111111111111111 b 5555555555554444", "a [PAN ****1111] b [PAN ****4444]"),
    ],
)
def test_pan_next_to_other_digit_groups(text: str, expected: str) -> None:
    assert redact_text(text) == expected
