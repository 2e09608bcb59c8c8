"""The polling watcher's decisions (pure): what to signal, where to read from next, how
long to wait. The workflow (watcher.py) only sequences activities around these.

Instants are wall-clock (Monta's `updatedAt`); durations in the config are real-world
seconds divided by `time_scale` (core/clock.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.budget import near_cap
from workflows.contracts import CHARGE_ENDED, CHARGE_WINDING_DOWN, ChargeSnapshot, SessionConfig

WATCHER_WORKFLOW = "MontaWatcherWorkflow"
SIGNAL_WEBHOOK_SEEN = "webhook_seen"  # the API saw a webhook batch for this operator
QUERY_WATCHER_STATUS = "watcher_status"

# Activities: the page read runs on `monta-<operator>` (rate-limited), the rest on the
# session queue (they talk to Temporal, not Monta).
MONTA_CHARGES_PAGE = "monta_charges_page"
WATCHER_OPEN_SESSIONS = "watcher_open_sessions"
WATCHER_SIGNAL_SESSIONS = "watcher_signal_sessions"

ENDED = CHARGE_ENDED
# States after which a charge may send no further entry for a long time (a full car waits
# `paused`), or ever (`completed`): a lost entry into one is repeated by nothing but a poll.
GOES_QUIET = frozenset({"paused", "scheduled", "reserved", "completed"})
# A step between two of these is routine, as in the API's coalescing (api/signal_coalesce.py).
WINDING_DOWN = CHARGE_WINDING_DOWN

Mode = Literal["idle", "fast", "normal", "slow"]


def watcher_workflow_id(operator: str) -> str:
    return f"watcher-{operator}"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class WatcherConfig(_Model):
    operator: str
    monta_task_queue: str
    time_scale: float = 1.0
    interval_s: float = 30.0
    fast_interval_s: float = 10.0
    slow_interval_s: float = 120.0
    overlap_s: float = 30.0
    webhook_silence_s: float = 120.0
    near_budget_ratio: Decimal = Decimal("0.7")
    # The API's `webhook_near_cap_ratio`: sessions keep their soft kWh budget inside that
    # band (workflows/budget.py), and the API signals the readings near each budget itself
    # (api/signal_coalesce.py), so while webhooks flow a routine reading from a poll adds
    # nothing. None (watchers started before
    # this existed): routine readings near a cap are still backed up, at the normal interval.
    webhook_band_ratio: Decimal | None = None
    # The sessions' `start_timeout_s`: a charge's first energy matters to its session only
    # while it could still stop the charge for drawing none (`repeated_later`). The default
    # (configs carried over from watchers started before it) is the sessions' own.
    start_timeout_s: float = SessionConfig().start_timeout_s
    max_pages: int = 50
    continue_as_new_after_polls: int = 500

    def wall(self, real_s: float) -> timedelta:
        return timedelta(seconds=real_s / self.time_scale)


class SeenCharge(_Model):
    updated_at: datetime
    state: str
    consumed_kwh: Decimal
    near: bool = False


class WatcherState(_Model):
    """Carried across continue-as-new."""

    cursor: datetime | None = None  # newest Monta updatedAt seen
    seen: dict[int, SeenCharge] = Field(default_factory=dict)
    last_webhook_at: datetime | None = None
    polls: int = 0
    requests: int = 0  # Monta page reads, the watcher's whole Monta cost
    signals: int = 0
    runs: int = 0


class ChargesPageInput(_Model):
    """One `GET /charges` page; only charges whose partnerExternalId is a session come back."""

    operator: str
    page: int = 0
    per_page: int = 100
    from_updated: datetime | None = None
    from_completed: datetime | None = None
    to_completed: datetime | None = None
    partner_external_id: str | None = None


class ChargesPage(_Model):
    charges: list[ChargeSnapshot]
    is_last: bool
    newest_updated_at: datetime | None = None
    seen_on_page: int = 0  # every charge on the page, ours or not


class SignalBatch(_Model):
    snapshots: list[ChargeSnapshot]


class SignalResult(_Model):
    signaled: int = 0
    gone: int = 0  # the session had already ended or never existed
    known: int = 0  # not sent: the session's state showed it had the news (session_has_it)


# SessionStates that show a session has a backup's news: energy moved it to `charging` (a
# stop sent, `stopping`, waits only for `completed`). No state shows it has `completed`: a
# session that captured on the last known price at its deadline is `settling` and still
# waits for Monta's `completed` to record the final price (never left unwatched).
_HAS_ENERGY = frozenset({"charging", "stopping", "settling"})


def session_has_it(snap: ChargeSnapshot, session_state: str | None) -> bool:
    """Whether a backup would only repeat what the session's `SessionState` (visibility)
    shows it already has: the first energy of a charge whose session is charging (most of a
    backstop's signals while webhooks flow, one workflow task each); `completed` is always
    sent. Visibility lags a session, never leads it, so a
    stale state only lets a duplicate through; an unknown state (None) sends."""
    if session_state is None:
        return False
    if snap.state == "completed":
        return False
    if snap.state in ("starting", "charging") and snap.consumed_kwh > 0:
        return session_state in _HAS_ENERGY
    return False


class WatcherStatus(_Model):
    operator: str
    mode: Mode
    interval_s: float  # wall seconds until the next poll
    open_sessions: int
    polls: int
    requests: int
    signals: int
    cursor: datetime | None
    last_webhook_at: datetime | None


# ---------------------------------------------------------------- decisions
def is_fresh(seen: SeenCharge | None, snap: ChargeSnapshot) -> bool:
    """A snapshot worth a signal: a charge not seen yet, or one that moved."""
    if seen is None:
        return True
    return (
        snap.updated_at > seen.updated_at
        or snap.consumed_kwh > seen.consumed_kwh
        or snap.state != seen.state
    )


def newest_per_charge(snaps: list[ChargeSnapshot]) -> list[ChargeSnapshot]:
    """Pages shift while charges change: keep the newest copy of each charge once."""
    best: dict[int, ChargeSnapshot] = {}
    for snap in snaps:
        old = best.get(snap.charge_id)
        if old is None or snap.updated_at >= old.updated_at:
            best[snap.charge_id] = snap
    return list(best.values())


def to_signal(
    seen: dict[int, SeenCharge],
    snaps: list[ChargeSnapshot],
    backstop: bool = False,
    ratio: Decimal = Decimal(1),
    band: Decimal | None = None,
    young: timedelta = timedelta(0),
) -> list[ChargeSnapshot]:
    """Fresh snapshots to signal. As a `backstop` (webhooks flowing) the watcher leaves the
    routine readings to the webhooks and signals only what a lost entry would cost: a
    charge it has not seen, a state change, and, without the API's `band`, a reading near
    the session's cap. Signalling every moving charge on every poll doubled each session's
    signals and workflow tasks (bench: 100 open sessions, the watcher in fast mode). With
    the band, the API signals the readings around each session's soft budget itself; the
    near-cap readings from polls were a quarter of a session's signals, and each was one
    the session did not need or already had (bench, 100 open sessions). With the band it
    backs up only what no later entry of the charge repeats (`repeated_later`; `young`: the
    sessions' start timeout)."""
    out = []
    for snap in newest_per_charge(snaps):
        prev = seen.get(snap.charge_id)
        if not is_fresh(prev, snap):
            continue
        if backstop and band is not None and repeated_later(prev, snap, young):
            continue
        if backstop and prev is not None and _routine(prev, snap, ratio, band):
            continue
        out.append(snap)
    return out


def repeated_later(prev: SeenCharge | None, snap: ChargeSnapshot, young: timedelta) -> bool:
    """A change the charge's next webhook entry carries again, so a lost entry costs the
    session nothing a backstop must make up: a first sighting or a state change into a
    state that keeps sending readings (`starting`, `charging`) or winds down to
    `completed`. Not repeated: the way into a state that goes quiet (GOES_QUIET), and the
    first energy while the charge is `young` (started within the sessions' start timeout:
    without it a session whose webhooks are all lost would stop a charge that draws, for
    no energy). A charge first seen later was only forgotten by the watcher (its reads
    overlap by a few seconds) and is not news. Backing up the others put a duplicate
    signal, and a workflow task, into the seconds when a phase's sessions start and stop
    together, and at 500 open sessions re-sighted charges doubled their signals."""
    if snap.state in GOES_QUIET:
        return prev is not None and prev.state == snap.state
    if snap.consumed_kwh <= 0:
        return True
    if prev is not None:
        return prev.consumed_kwh > 0
    started = snap.started_at or snap.cable_plugged_in_at
    return started is not None and snap.updated_at - started > young


def _routine(prev: SeenCharge, snap: ChargeSnapshot, ratio: Decimal, band: Decimal | None) -> bool:
    """What a backstop leaves to the webhooks. Without the API's band (a config without
    one) a near-cap reading is backed up too: nothing else signals it."""
    if band is None:
        return snap.state == prev.state and not is_near_budget(snap, ratio)
    return snap.state == prev.state or {snap.state, prev.state} <= WINDING_DOWN


def is_near_budget(snap: ChargeSnapshot, ratio: Decimal) -> bool:
    """A drawing charge close to the hard cap its session set (kwhLimit sits just above the
    session's kWh budget): `near_cap`, the one definition, while the charge still runs."""
    return snap.state not in ENDED and near_cap(snap.consumed_kwh, snap.kwh_limit, ratio)


def remember(
    seen: dict[int, SeenCharge],
    snaps: list[ChargeSnapshot],
    ratio: Decimal,
    forget_before: datetime,
) -> dict[int, SeenCharge]:
    """Record what was signalled; forget charges older than the next read's start (they
    cannot come back unless they change, and then they are fresh anyway)."""
    out = dict(seen)
    for s in newest_per_charge(snaps):
        if is_fresh(out.get(s.charge_id), s):
            out[s.charge_id] = SeenCharge(
                updated_at=s.updated_at,
                state=s.state,
                consumed_kwh=s.consumed_kwh,
                near=is_near_budget(s, ratio),
            )
    return {cid: sc for cid, sc in out.items() if sc.updated_at >= forget_before}


def read_from(cursor: datetime | None, now: datetime, cfg: WatcherConfig) -> datetime:
    """`fromUpdatedDate` of the next poll: the newest updatedAt seen minus the overlap
    (Monta's clock, so our clock's skew does not matter), or now minus the overlap."""
    base = cursor if cursor is not None else now
    return base - cfg.wall(cfg.overlap_s)


def advance_cursor(cursor: datetime | None, newest: datetime | None) -> datetime | None:
    if newest is None:
        return cursor
    return newest if cursor is None else max(cursor, newest)


def webhooks_flowing(last_webhook_at: datetime | None, now: datetime, cfg: WatcherConfig) -> bool:
    return last_webhook_at is not None and now - last_webhook_at < cfg.wall(cfg.webhook_silence_s)


def choose_mode(
    open_sessions: int,
    seen: dict[int, SeenCharge],
    last_webhook_at: datetime | None,
    now: datetime,
    cfg: WatcherConfig,
) -> tuple[Mode, timedelta]:
    """idle (no Monta call, only a look at visibility) while no session is open; while any
    charge is near its cap: fast, or normal while webhooks flow (they carry its readings;
    the poll only backs up a lost entry, and it is how a soft budget below the API's
    near-cap band, `webhook_near_cap_ratio`, learns of its crossing; with that band in the
    config no budget is below it, so slow); slow while webhooks flow; normal otherwise."""
    if open_sessions <= 0:
        return "idle", cfg.wall(cfg.interval_s)
    flowing = webhooks_flowing(last_webhook_at, now, cfg)
    if any(sc.near and sc.state not in ENDED for sc in seen.values()):
        if not flowing:
            return "fast", cfg.wall(cfg.fast_interval_s)
        if cfg.webhook_band_ratio is None:
            return "normal", cfg.wall(cfg.interval_s)
    if flowing:
        return "slow", cfg.wall(cfg.slow_interval_s)
    return "normal", cfg.wall(cfg.interval_s)
