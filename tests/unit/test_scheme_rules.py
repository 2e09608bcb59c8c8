"""Scheme rules that limit increments (workflows/scheme_rules.py), and the acquirer
emulator applying the same-day rule to card-present holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.money import Money
from emulators.payments.cards import CardOutcome
from emulators.payments.config import EmulatorConfig
from emulators.payments.errors import AcquirerError
from emulators.payments.ledger import Ledger
from workflows.contracts import Authorization
from workflows.scheme_rules import INCREMENT_RULES, refusing_rule

CREATED = datetime(2026, 3, 9, 22, 30, tzinfo=UTC)


def _hold(card_present: bool, created_at: datetime | None = CREATED) -> Authorization:
    return Authorization(
        authorization_id="auth_1",
        amount=Money(amount_minor=2500, currency="EUR"),
        expires_at=CREATED + timedelta(days=7),
        authorized_at=created_at,
        card_present=card_present,
    )


def _rule(auth: Authorization, now: datetime) -> str | None:
    rule = refusing_rule(auth, now)
    return rule.name if rule is not None else None


@pytest.mark.parametrize(
    ("later", "refused"),
    [
        (timedelta(minutes=89), None),  # 23:59 the same UTC day
        (timedelta(minutes=90), "card_present_same_day"),  # 00:00 the next day
        (timedelta(days=2), "card_present_same_day"),
    ],
)
def test_card_present_holds_grow_the_same_utc_day_only(
    later: timedelta, refused: str | None
) -> None:
    assert _rule(_hold(card_present=True), CREATED + later) == refused


def test_the_day_is_utcs_whatever_offset_the_instants_carry() -> None:
    # 23:30 UTC written as 00:30 the next day at +01:00 is still the hold's day.
    same_day = (CREATED + timedelta(hours=1)).astimezone(timezone(timedelta(hours=1)))
    assert same_day.date() != CREATED.date()
    assert _rule(_hold(card_present=True), same_day) is None


@pytest.mark.parametrize(
    ("later", "refused"),
    [
        (timedelta(days=1), None),  # the next day is fine without a card present
        (timedelta(days=7), None),
        (timedelta(days=7, seconds=1), "card_not_present_7_days"),
    ],
)
def test_card_not_present_holds_grow_for_7_days(later: timedelta, refused: str | None) -> None:
    assert _rule(_hold(card_present=False), CREATED + later) == refused


def test_a_hold_without_a_creation_time_is_left_to_the_acquirer() -> None:
    assert _rule(_hold(card_present=True, created_at=None), CREATED + timedelta(days=3)) is None


def test_every_rule_names_its_source() -> None:
    assert INCREMENT_RULES and all(r.source and r.name for r in INCREMENT_RULES)


class _Clock:
    def __init__(self) -> None:
        self.now = CREATED

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("card_present", [True, False])
def test_the_acquirer_emulator_refuses_card_present_increments_the_next_day(
    card_present: bool,
) -> None:
    clock = _Clock()
    ledger = Ledger(EmulatorConfig(), now=clock)
    card = CardOutcome(brand="VISA", last4="4242", decline_code=None)
    hold = ledger.place(
        card=card, amount_minor=2500, currency="EUR", card_present=card_present, terminal_id=None
    )
    ledger.increment(hold.id, 500, "EUR", "k1")  # the same day
    clock.now = CREATED + timedelta(minutes=90)
    if not card_present:
        assert ledger.increment(hold.id, 500, "EUR", "k2").amount_minor == 3500
        return
    with pytest.raises(AcquirerError) as refused:
        ledger.increment(hold.id, 500, "EUR", "k2")
    assert refused.value.status == 422 and refused.value.type == "increment_unsupported"
    assert ledger.get(hold.id).amount_minor == 3000
