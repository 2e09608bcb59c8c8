"""What a session shows from its state: the status answer, the live summary, the search
attributes of a state change, its deadlines and which settlement it takes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.money import Money
from tests.unit.session_fixtures import at, snap, tariff
from workflows.budget import compute_budget
from workflows.contracts import Authorization, HoldIncrement, SessionConfig, SessionRequest
from workflows.merge import ChargeView
from workflows.search_attributes import HOLD_EXPIRES_AT, SESSION_STATE, STATE_SINCE
from workflows.session_attributes import state_updates
from workflows.session_data import SessionData
from workflows.session_deadlines import capture_deadline, settle_deadline, stop_deadline
from workflows.session_settlement import settlement_at_deadline, settlement_on_completion
from workflows.session_status import session_status
from workflows.session_summary import live_summary

CONFIG = SessionConfig(capture_margin_s=3600, settle_timeout_s=600)
EUR_50 = Money(amount_minor=5000, currency="EUR")
EUR_25 = Money(amount_minor=2500, currency="EUR")
HOLD = Authorization(authorization_id="auth-1", amount=EUR_50, expires_at=at(24 * 3600))
REQUEST = SessionRequest(
    operator="alpha",
    terminal_id="T1",
    terminal_transaction_id="tx_0001_abcdefgh",
    charge_point_id=42,
    amount=EUR_50,
    authorization_ref="hold-1",
    config=CONFIG,
)


def charging(kwh: str = "3", state: str = "charging", **kw: object) -> SessionData:
    return SessionData(
        state="charging",
        tariff=tariff(),
        authorization=kw.pop("authorization", HOLD),
        budget=compute_budget(EUR_50, tariff(), CONFIG),
        charge_id=7,
        view=ChargeView(snapshot=snap(60, kwh, state, price_minor=206, currency="EUR")),
        **kw,
    )


def test_status_reads_the_state_and_the_latest_snapshot() -> None:
    status = session_status("session-alpha-T1-tx", REQUEST, charging())
    assert status.state == "charging"
    assert status.short_code == "ABCDEFGH"
    assert status.consumed_kwh == Decimal("3")
    assert status.price == Money(amount_minor=206, currency="EUR")
    assert status.authorized == EUR_50
    assert status.authorization_id == "auth-1"
    assert status.charge_state == "charging"
    assert status.updated_at == at(60)


def test_status_before_any_snapshot_has_no_price() -> None:
    status = session_status("s", REQUEST, SessionData())
    assert status.price is None and status.charge_state is None and status.kwh_budget is None


def test_live_summary_names_state_energy_price_and_attention() -> None:
    summary = live_summary(charging(attention="capture_failed: None"))
    assert summary.startswith("state **charging** · 3 / ")
    assert "price 2.06 EUR / budget" in summary
    assert summary.endswith("attention: capture_failed: None")


def test_live_summary_shows_each_increment_of_the_hold() -> None:
    grown = HOLD.model_copy(update={"amount": Money(amount_minor=10000, currency="EUR")})
    steps = [
        HoldIncrement(number=n, extra=EUR_25, authorized=Money(amount_minor=total,
                      currency="EUR"), expires_at=at(24 * 3600), at=at(60 * n))
        for n, total in ((1, 7500), (2, 10000))
    ]  # fmt: skip
    summary = live_summary(
        charging(authorization=grown, increments=steps, increments_ended="ceiling")
    )
    assert "hold 50.00 EUR + 25.00 EUR + 25.00 EUR = 100.00 EUR (increments ended: ceiling)" in (
        summary
    )
    failed = live_summary(charging(increments_ended="declined"))
    assert "hold 50.00 EUR (increments ended: declined)" in failed
    assert "hold" not in live_summary(charging())  # increments off: as before


def test_a_state_change_carries_its_instant_and_the_hold_expiry() -> None:
    updates = state_updates("charging", HOLD, at(5))
    assert [u.key for u in updates] == [SESSION_STATE, STATE_SINCE, HOLD_EXPIRES_AT]
    assert updates[2].value == HOLD.expires_at


def test_a_final_state_unsets_the_hold_expiry() -> None:
    updates = state_updates("completed", HOLD, at(5))
    assert updates[2].key == HOLD_EXPIRES_AT and updates[2].value is None


def test_no_hold_no_expiry() -> None:
    assert len(state_updates("pricing", None, at(5))) == 2


def test_deadlines_keep_their_margins_before_the_hold_expires() -> None:
    assert capture_deadline(HOLD, CONFIG) == HOLD.expires_at - timedelta(hours=1)
    assert stop_deadline(HOLD, CONFIG) == HOLD.expires_at - timedelta(hours=2)


def test_settle_deadline_runs_from_the_stop_and_never_past_capture() -> None:
    data = charging(stopping_since=at(100), stop_sent_at=at(90))
    assert settle_deadline(data, CONFIG) == at(90) + timedelta(seconds=600)
    late = charging(stopping_since=HOLD.expires_at - timedelta(minutes=61))
    assert settle_deadline(late, CONFIG) == capture_deadline(HOLD, CONFIG)


def test_settlement_without_completed_charge_is_nothing() -> None:
    assert settlement_on_completion(charging(), CONFIG).void


def test_settlement_at_deadline_flags_the_missing_completed() -> None:
    settlement = settlement_at_deadline(charging(), CONFIG)
    assert settlement.attention is not None
    assert "no_completed_before_capture_deadline" in settlement.attention
