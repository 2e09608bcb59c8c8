"""What a refund may be: the capture's currency, and at most what is left of it."""

from __future__ import annotations

from core.money import Money
from workflows.refund_rules import refund_refusal


def eur(minor: int) -> Money:
    return Money(amount_minor=minor, currency="EUR")


def test_up_to_what_is_left_is_allowed() -> None:
    assert refund_refusal(eur(1000), 0, eur(1000)) is None
    assert refund_refusal(eur(1000), 400, eur(600)) is None


def test_above_what_is_left_is_refused_with_what_is_left() -> None:
    refusal = refund_refusal(eur(1000), 400, eur(601))
    assert refusal is not None
    code, _, details = refusal
    assert code == "refund_above_refundable" and details["refundable_minor"] == 600


def test_nothing_and_another_currency_are_refused() -> None:
    assert refund_refusal(eur(1000), 0, eur(0)) is not None
    other = refund_refusal(eur(1000), 0, Money(amount_minor=5, currency="SEK"))
    assert other is not None and other[0] == "currency_mismatch"
