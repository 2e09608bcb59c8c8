"""Our minor units (core/money.py) <-> Stripe's `amount`, per Stripe's currency table
(https://docs.stripe.com/currencies): zero-decimal, three-decimal (last digit 0) and the
special cases (ISK and UGX in two decimals ending 00; HUF and TWD two-decimal for charges).
Cases are written in major units, so they hold whatever exponent core/money.py gives a
currency. Then the adapter, over real HTTP against the Stripe stub: what it sends."""

from __future__ import annotations

from decimal import Decimal

import pytest

from activities.payments import errors as e
from activities.payments import stripe_currency as sc
from activities.payments.stripe_adapter import StripeGateway
from core.money import Money, currency_decimals, decimal_to_minor, minor_to_decimal
from tests.payments.stripe_stub import StripeStub
from workflows.contracts import AuthorizeInput, CaptureInput, IncrementInput, VerifyInput


def ours(major: str, currency: str) -> Money:
    """`major` in our minor units; the case must be exact in them (no rounding here either)."""
    decimals = currency_decimals(currency)
    minor = decimal_to_minor(Decimal(major), decimals)
    assert minor_to_decimal(minor, decimals) == Decimal(major), f"{major} {currency} inexact"
    return Money(amount_minor=minor, currency=currency)


@pytest.mark.parametrize(
    ("major", "currency", "stripe_amount"),
    [
        ("10.99", "EUR", 1099),
        ("10.99", "USD", 1099),
        ("500", "JPY", 500),  # zero-decimal
        ("123", "KRW", 123),
        ("7", "CLP", 7),
        ("5", "ISK", 500),  # special case: two decimals, always 00
        ("123", "ISK", 12300),
        ("5", "UGX", 500),  # special case like ISK
        ("10.45", "HUF", 1045),  # two-decimal for charges (the 100-rule is for payouts)
        ("800.45", "TWD", 80045),
        ("5.12", "KWD", 5120),  # three-decimal: the last digit must be 0
        ("5.13", "BHD", 5130),
        ("12.34", "JOD", 12340),
        ("1.5", "OMR", 1500),
        ("0.01", "TND", 10),
        ("0", "ISK", 0),
    ],
)
def test_round_trip(major: str, currency: str, stripe_amount: int) -> None:
    money = ours(major, currency)
    assert sc.to_stripe_amount(money) == stripe_amount
    assert sc.from_stripe_amount(stripe_amount, currency.lower()) == money


@pytest.mark.parametrize(
    ("major", "currency"),
    [
        ("5.124", "KWD"),  # Stripe needs a multiple of 10 in three-decimal currencies
        ("0.001", "BHD"),
        ("123.45", "UGX"),  # fractions of UGX cannot be charged
    ],
)
def test_unrepresentable_amounts_are_refused_not_rounded(major: str, currency: str) -> None:
    decimals = currency_decimals(currency)
    minor = decimal_to_minor(Decimal(major), decimals)
    if minor_to_decimal(minor, decimals) != Decimal(major):
        pytest.skip(f"{major} {currency} is not representable in our own minor units")
    with pytest.raises(e.AmountNotRepresentable) as refused:
        sc.to_stripe_amount(Money(amount_minor=minor, currency=currency))
    assert not refused.value.retryable
    assert currency in str(refused.value)


@pytest.mark.parametrize(("stripe_amount", "currency"), [(12345, "isk"), (50, "isk")])
def test_stripe_amounts_finer_than_our_units_are_refused(stripe_amount: int, currency: str) -> None:
    if currency_decimals(currency) >= sc.stripe_decimals(currency):
        pytest.skip(f"our {currency} minor units hold every Stripe amount")
    with pytest.raises(e.AmountNotRepresentable):
        sc.from_stripe_amount(stripe_amount, currency)


def test_stripe_decimals_follow_the_table() -> None:
    assert [sc.stripe_decimals(c) for c in ("JPY", "KRW", "ISK", "UGX", "HUF", "KWD")] == [
        0,
        0,
        2,
        2,
        2,
        3,
    ]


# ---------------------------------------------------------------- the adapter, over HTTP


async def test_isk_is_sent_and_read_in_stripe_two_decimals(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    held = ours("500", "ISK")
    auth = await gateway.authorize(
        AuthorizeInput(payment_token="pm_card_visa", amount=held, idempotency_key="wf-i/a")
    )
    assert [s.form["amount"] for s in stripe_stub.posts("/v1/payment_intents")] == ["50000"]
    assert auth.amount == held
    verified = await gateway.verify(
        VerifyInput(authorization_ref=auth.authorization_id, idempotency_key="wf-i/v")
    )
    assert verified.amount == held
    result = await gateway.capture(
        CaptureInput(
            authorization_id=auth.authorization_id,
            amount=ours("300", "ISK"),
            idempotency_key="wf-i/capture",
        )
    )
    assert [s.form["amount_to_capture"] for s in stripe_stub.posts("/capture")] == ["30000"]
    assert (result.captured, result.released) == (ours("300", "ISK"), ours("200", "ISK"))


async def test_isk_capture_ceiling_compares_like_units(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    stripe_stub.seed("pi_isk", 50000, "isk")  # 500 ISK
    over = CaptureInput(
        authorization_id="pi_isk", amount=ours("501", "ISK"), idempotency_key="wf-i2/capture"
    )
    with pytest.raises(e.AmountAboveAuthorized):
        await gateway.capture(over)
    assert stripe_stub.posts("/capture") == []


async def test_unrepresentable_capture_is_refused_before_stripe(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    stripe_stub.seed("pi_kwd", 10000, "kwd")  # 10.000 KWD
    request = CaptureInput(
        authorization_id="pi_kwd", amount=ours("5.124", "KWD"), idempotency_key="wf-k/capture"
    )
    with pytest.raises(e.AmountNotRepresentable):
        await gateway.capture(request)
    assert stripe_stub.posts("/capture") == []
    assert stripe_stub.intents["pi_kwd"]["status"] == "requires_capture"


async def test_jpy_is_sent_as_is(stripe_stub: StripeStub, gateway: StripeGateway) -> None:
    await gateway.authorize(
        AuthorizeInput(
            payment_token="pm_card_visa", amount=ours("500", "JPY"), idempotency_key="wf-j/a"
        )
    )
    assert [s.form["amount"] for s in stripe_stub.posts("/v1/payment_intents")] == ["500"]


async def test_isk_increment_is_sent_in_stripe_units(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    charge = {
        "captured": False,
        "amount": 50000,
        "payment_method_details": {
            "type": "card_present",
            "card_present": {
                "brand": "visa",
                "last4": "4242",
                "incremental_authorization": {"status": "available"},
            },
        },
    }
    stripe_stub.seed("pi_isk_inc", 50000, "isk", latest_charge=charge)
    raised = await gateway.increment(
        IncrementInput(
            authorization_id="pi_isk_inc", extra=ours("100", "ISK"), idempotency_key="wf-ii/inc"
        )
    )
    sent = stripe_stub.posts("/increment_authorization")
    assert [s.form["amount"] for s in sent] == ["60000"]
    assert raised.amount == ours("600", "ISK")
