"""The watcher's pure decisions: what to signal, where to read from, how long to wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from workflows.contracts import ChargeSnapshot
from workflows.watcher_logic import (
    SeenCharge,
    WatcherConfig,
    advance_cursor,
    choose_mode,
    is_near_budget,
    read_from,
    remember,
    session_has_it,
    to_signal,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CFG = WatcherConfig(operator="alpha", monta_task_queue="monta-alpha", time_scale=10.0)
RATIO = CFG.near_budget_ratio


def snap(
    cid: int, at_s: float, kwh: str = "1", state: str = "charging", limit: str = "10"
) -> ChargeSnapshot:
    return ChargeSnapshot(
        charge_id=cid,
        state=state,
        consumed_kwh=Decimal(kwh),
        kwh_limit=Decimal(limit),
        updated_at=T0 + timedelta(seconds=at_s),
        partner_external_id=f"session-alpha-T-{cid}",
    )


def test_new_and_moved_charges_are_signalled_once() -> None:
    first = [snap(1, 0), snap(2, 0)]
    assert [s.charge_id for s in to_signal({}, first)] == [1, 2]
    seen = remember({}, first, RATIO, T0 - timedelta(hours=1))
    # The overlap brings charge 1 back unchanged and charge 2 moved on.
    again = [snap(1, 0), snap(2, 5, kwh="2")]
    assert [s.charge_id for s in to_signal(seen, again)] == [2]


def test_as_a_backstop_only_new_changed_or_near_cap_charges_are_signalled() -> None:
    """While webhooks flow they carry the routine readings; the watcher backs up the ones
    whose loss costs money (near the cap) or ends a session (a state change)."""
    seen = remember({}, [snap(1, 0), snap(2, 0), snap(3, 0)], RATIO, T0 - timedelta(hours=1))
    moved = [
        snap(1, 5, kwh="2"),  # routine reading, far from its 10 kWh cap
        snap(2, 5, kwh="9.8"),  # near the cap
        snap(3, 5, kwh="2", state="stopping"),  # state change
        snap(4, 5, kwh="1"),  # not seen before
    ]
    backstop = to_signal(seen, moved, backstop=True, ratio=RATIO)
    assert [s.charge_id for s in backstop] == [2, 3, 4]
    # Webhooks silent: every moving charge is signalled.
    assert [s.charge_id for s in to_signal(seen, moved)] == [1, 2, 3, 4]


BAND = Decimal("0.9")  # the API's webhook_near_cap_ratio
BANDED = CFG.model_copy(update={"webhook_band_ratio": BAND})


def test_with_the_apis_band_routine_readings_are_left_to_the_webhooks() -> None:
    """Sessions keep their soft budget inside the API's band, where the API signals every
    reading: a poll's routine reading, near a cap or not, adds nothing while webhooks flow."""
    seen = remember({}, [snap(i, 0, kwh="6") for i in (1, 2, 3)], RATIO, T0 - timedelta(hours=1))
    moved = [
        snap(1, 5, kwh="8"),  # near (>= 7 of 10), below the API's band
        snap(2, 5, kwh="9.2"),  # in the API's band
        snap(3, 5, kwh="9.3", state="stopping"),  # winding down: `completed` follows it
        snap(4, 5, kwh="1"),  # not seen before
    ]
    backstop = to_signal(seen, moved, backstop=True, ratio=RATIO, band=BAND)
    assert [s.charge_id for s in backstop] == [4]
    # Without a band (a config without one) near-cap readings and state changes are backed up.
    assert [s.charge_id for s in to_signal(seen, moved, True, RATIO)] == [1, 2, 3, 4]
    # Webhooks silent: everything that moved.
    assert [s.charge_id for s in to_signal(seen, moved, ratio=RATIO, band=BAND)] == [1, 2, 3, 4]


def test_as_a_backstop_steps_between_winding_down_states_are_routine() -> None:
    seen = remember({}, [snap(1, 0, kwh="9", state="stopping")], RATIO, T0 - timedelta(hours=1))
    released = [snap(1, 5, kwh="9.1", state="released")]
    assert to_signal(seen, released, backstop=True, ratio=RATIO, band=BAND) == []
    done = [snap(1, 5, kwh="9.1", state="completed")]
    assert len(to_signal(seen, done, backstop=True, ratio=RATIO, band=BAND)) == 1
    assert len(to_signal(seen, released, ratio=RATIO, band=BAND)) == 1  # webhooks silent
    # Without a band a state change is backed up.
    assert len(to_signal(seen, released, backstop=True, ratio=RATIO)) == 1


def test_as_a_backstop_a_charge_that_paused_is_backed_up() -> None:
    """A charge that pauses (car full) sends no further entry until it resumes or ends: if
    its `paused` entry is lost, only the watcher's poll tells the session, which stops it
    after `paused_timeout_s`. (Reading only completed charges while webhooks flowed
    missed exactly this: chaos seed 3, 2026-11-24, one session stuck in `charging`.)"""
    seen = remember({}, [snap(1, 0, kwh="9")], RATIO, T0 - timedelta(hours=1))
    paused = [snap(1, 5, kwh="9.5", state="paused")]
    assert to_signal(seen, paused, backstop=True, ratio=RATIO, band=BAND) == paused


def test_backing_up_only_what_goes_quiet() -> None:
    """With the band a backstop passes only what no later entry repeats: the way into
    `paused` or `completed`, and the first energy. A first sighting without energy or the
    way into a state that keeps sending entries (winding down to completed) is left to the
    webhooks."""
    seen = remember(
        {},
        [snap(1, 0, kwh="9"), snap(2, 0, kwh="0", state="starting"), snap(3, 0, kwh="9")],
        RATIO,
        T0 - timedelta(hours=1),
    )
    seen = remember(seen, [snap(5, 0, kwh="9", state="paused")], RATIO, T0 - timedelta(hours=1))
    moved = [
        snap(1, 5, kwh="9.5", state="paused"),  # goes quiet: passed
        snap(2, 5, kwh="0.1", state="charging"),  # first energy: passed
        snap(3, 5, kwh="9.5", state="stopping"),  # completed follows: left
        snap(4, 5, kwh="1"),  # first sighting with energy, start unknown: may be news
        snap(5, 5, kwh="9", state="completed"),  # the end: passed
        snap(6, 5, kwh="0", state="starting"),  # first sighting, no energy: left
    ]
    quiet = to_signal(seen, moved, backstop=True, ratio=RATIO, band=BAND)
    assert [s.charge_id for s in quiet] == [1, 2, 4, 5]
    # Webhooks silent: everything that moved.
    assert len(to_signal(seen, moved, ratio=RATIO, band=BAND)) == 6


def test_a_first_sighting_with_energy_is_news_only_while_the_charge_is_young() -> None:
    """Within the sessions' start timeout the session may not know the charge draws (and
    would stop it for no energy); later the watcher only forgot the charge between reads."""
    young = timedelta(seconds=30)
    fresh = snap(1, 20, kwh="0.5").model_copy(update={"started_at": T0})
    old = snap(2, 40, kwh="5").model_copy(update={"started_at": T0})
    quiet = to_signal({}, [fresh, old], True, RATIO, BAND, young=young)
    assert [s.charge_id for s in quiet] == [1]


def test_with_the_apis_band_near_charges_need_no_faster_poll_while_webhooks_flow() -> None:
    near = {1: SeenCharge(updated_at=T0, state="charging", consumed_kwh=Decimal(8), near=True)}
    assert choose_mode(2, near, T0, T0, BANDED) == ("slow", timedelta(seconds=12))
    # Webhooks silent: the watcher is the only source, band or not.
    assert choose_mode(2, near, None, T0, BANDED) == ("fast", timedelta(seconds=1))


def test_duplicates_on_shifting_pages_keep_the_newest() -> None:
    out = to_signal({}, [snap(1, 5, kwh="2"), snap(1, 0), snap(1, 3)])
    assert len(out) == 1 and out[0].consumed_kwh == Decimal("2")


def test_a_state_change_without_new_timestamp_is_fresh() -> None:
    seen = remember({}, [snap(1, 0)], RATIO, T0 - timedelta(hours=1))
    assert to_signal(seen, [snap(1, 0, state="stopping")])


def test_forgets_charges_older_than_the_next_read() -> None:
    seen = remember({}, [snap(1, 0), snap(2, 100)], RATIO, T0 + timedelta(seconds=50))
    assert set(seen) == {2}


def test_read_from_is_newest_seen_minus_overlap_in_wall_time() -> None:
    # overlap 30 real s at 10x = 3 wall s, measured on Monta's clock, not ours.
    assert read_from(T0, T0 + timedelta(hours=1), CFG) == T0 - timedelta(seconds=3)
    assert read_from(None, T0, CFG) == T0 - timedelta(seconds=3)
    assert advance_cursor(T0, None) == T0
    assert advance_cursor(T0, T0 - timedelta(seconds=1)) == T0
    assert advance_cursor(None, T0) == T0


def test_near_budget_is_relative_to_the_cap_and_only_while_drawing() -> None:
    assert is_near_budget(snap(1, 0, kwh="7"), RATIO)
    assert not is_near_budget(snap(1, 0, kwh="6.9"), RATIO)
    assert not is_near_budget(snap(1, 0, kwh="9", state="stopping"), RATIO)


def test_modes() -> None:
    calm = {1: SeenCharge(updated_at=T0, state="charging", consumed_kwh=Decimal(1))}
    near = {1: SeenCharge(updated_at=T0, state="charging", consumed_kwh=Decimal(9), near=True)}
    assert choose_mode(0, near, None, T0, CFG) == ("idle", timedelta(seconds=3))
    # Near a cap: faster than slow; fast only when webhooks do not bring the readings.
    assert choose_mode(2, near, T0, T0, CFG) == ("normal", timedelta(seconds=3))
    assert choose_mode(2, near, None, T0, CFG) == ("fast", timedelta(seconds=1))
    assert choose_mode(2, calm, T0, T0, CFG) == ("slow", timedelta(seconds=12))
    # No webhook within the silence window (120 real s = 12 wall s): poll faster.
    later = T0 + timedelta(seconds=13)
    assert choose_mode(2, calm, T0, later, CFG) == ("normal", timedelta(seconds=3))
    assert choose_mode(2, calm, None, T0, CFG)[0] == "normal"


@pytest.mark.parametrize(
    ("state", "kwh", "session_state", "has_it"),
    [
        ("charging", "1", "charging", True),  # first energy: the session is charging
        ("charging", "1", "stopping", True),  # it sent its stop: waits only for completed
        ("charging", "1", "starting", False),  # still waiting for energy: the backup is news
        ("starting", "0", "charging", False),  # no energy in it: left to the other rules
        # Settling after a capture on the last known price, it waits for exactly this.
        ("completed", "5", "settling", False),
        ("completed", "5", "stopping", False),  # waiting for exactly this
        ("completed", "5", "charging", False),
        ("paused", "5", "charging", False),  # no SessionState shows a pause
        ("charging", "1", None, False),  # state unknown (not listed, unreadable): send
    ],
)
def test_a_backup_the_session_state_shows_it_has_is_not_sent(
    state: str, kwh: str, session_state: str | None, has_it: bool
) -> None:
    assert session_has_it(snap(1, 0, kwh=kwh, state=state), session_state) is has_it
