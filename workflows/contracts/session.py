"""The session workflow's input, configuration and status (shared with the API)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.card_data import PAYMENT_TOKEN_PATTERN, CardBrand
from core.idle_rules import IdleFeeRule
from core.money import Money
from workflows.contracts.activities import SessionStateName, TariffQuote
from workflows.contracts.idle import IdleFee, IdleRules


class SessionConfig(BaseModel):
    """Settings frozen into a session when it starts (workflows cannot read env).

    Durations are real-world seconds; `time_scale` turns them into wall-clock timers.
    """

    model_config = ConfigDict(frozen=True)

    time_scale: float = 1.0
    start_timeout_s: float = 300.0
    paused_timeout_s: float = 1800.0
    stop_delivery_latency_s: float = 15.0
    capture_margin_s: float = 3600.0
    settle_timeout_s: float = 6 * 3600.0
    expected_power_kw: Decimal = Decimal("11")
    budget_safety_margin: Decimal = Decimal("0.05")
    # The budget keeps room for the idle fee of a car that stays plugged in this many
    # minutes after energy stopped (less the grace period; at most the cap: idle-fees.md).
    idle_reserve_minutes: int = 30
    price_tolerance_ratio: Decimal = Decimal("0.02")
    price_tolerance_minor: int = 5
    # How long an acquirer that does not answer is retried before the session gives up on
    # placing or verifying a hold (declined, flagged), and before a capture or void is
    # flagged for an operator (it keeps retrying every `payment_retry_interval_s`). These
    # three are wall-clock seconds, never scaled: they bound outages, not charging time.
    payment_verify_deadline_s: float = 600.0
    payment_retry_window_s: float = 3600.0
    payment_retry_interval_s: float = 1800.0
    # A stop Monta did not confirm is sent again this often while the charge runs.
    stop_retry_interval_s: float = 60.0
    # A charge with no news for this long (charge time) is read once from Monta; one Monta no
    # longer knows flags the session (workflows/session_silence.py).
    charge_silence_check_s: float = 1800.0
    # A start whose outcome stays unknown (the lookups fail) is looked up again this often.
    start_lookup_interval_s: float = 60.0
    # After capturing on the last known price, how long the session still waits for Monta's
    # `completed` to record the final price and what is left uncollected.
    completed_watch_limit_s: float = 7 * 24 * 3600.0
    # The API signals every webhook reading from this share of kwhLimit on (settings); the
    # budget keeps the soft kWh budget inside that band. None: sessions started before.
    webhook_near_cap_ratio: Decimal | None = None
    # Incremental authorization (docs/increments.md), off while the ceiling is 0: the
    # operator's largest hold, in minor units of the hold's currency (Monta's kwhLimit and
    # priceLimit are set from it, since they cannot be raised after the start).
    increment_ceiling_minor: int = Field(default=0, ge=0)
    # With increments on, a token (card-not-present) start authorizes at most this much
    # first, and grows from there (0: the start's amount). Card-present: the terminal's hold.
    first_hold_minor: int = Field(default=0, ge=0)
    # Ask this long (charge time) before the hold runs out at the observed power: the time
    # to the session's next reading (the API's view max lag) plus the acquirer's answer.
    increment_lead_s: float = 300.0
    # One increment buys this much charging at the observed power; at least the minimum,
    # rounded up to the step (minor units), never past the ceiling.
    increment_horizon_s: float = 1800.0
    increment_min_minor: int = Field(default=500, ge=1)
    increment_step_minor: int = Field(default=100, ge=1)
    # Wall-clock: an increment the acquirer has not answered by then counts as failed, and
    # the session stops at the hold it has (the key stays the same across retries).
    increment_timeout_s: float = 60.0
    # The API forwards a reading at least this often below Monta's near-cap band (charge
    # time): while an increment is being asked, the kWh check counts the energy until then.
    view_max_lag_s: float = Field(default=60.0, gt=0)
    # The operator's idle fee at this charge point (docs/idle-fees.md), used only where
    # Monta's price group has none; None: no rule of the operator's.
    idle_fee: IdleFeeRule | None = None
    # A session billing idle fees waits at most this long (real seconds after energy
    # stopped) for the car to leave, then captures what idle time cost by then.
    idle_watch_max_s: float = 4 * 3600.0
    # ... but at least this long after the stop: Monta's time to report an unplug.
    idle_release_wait_s: float = 900.0
    monta_task_queue: str = ""  # filled from the operator: monta-<operator>
    provider_slug: str = "chargepay"
    # 0: continue-as-new when Temporal suggests it; tests set a small history length.
    continue_as_new_after_events: int = 0


class SessionRequest(BaseModel):
    """What a terminal asks for: hold money on a card and charge at one charge point."""

    model_config = ConfigDict(frozen=True)

    operator: str = Field(pattern=r"^[a-z0-9][a-z0-9_]{0,31}$")
    terminal_id: str = Field(pattern=r"^[A-Za-z0-9_.:]{1,64}$")
    terminal_transaction_id: str = Field(pattern=r"^[A-Za-z0-9_.:]{1,64}$")
    charge_point_id: int = Field(gt=0)
    paying_team_id: int | None = Field(default=None, gt=0)
    amount: Money
    card_brand: CardBrand | None = None
    card_last4: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    # Exactly one: a card-present hold placed by the terminal, or a vault token to authorize.
    authorization_ref: str | None = Field(default=None, max_length=255)
    payment_token: str | None = Field(default=None, pattern=PAYMENT_TOKEN_PATTERN)
    config: SessionConfig = SessionConfig()
    # The tariff the API read for this start (its own Monta read, never the terminal's): the
    # session freezes it instead of reading it again, one activity fewer before the start.
    # None (a bare start, or the API could not read it): the session reads it itself.
    tariff: TariffQuote | None = None

    def first_state(self) -> SessionStateName:
        """Every session begins by placing (or verifying) and claiming its hold: nothing
        else may happen before the hold is known to be this session's."""
        return "authorizing"

    def short_code(self) -> str:
        """The code the terminal shows and the receipt is found by (Monta externalId)."""
        return self.terminal_transaction_id[-8:].upper()

    @model_validator(mode="after")
    def _one_payment_source(self) -> SessionRequest:
        if (self.authorization_ref is None) == (self.payment_token is None):
            raise ValueError("give exactly one of authorization_ref or payment_token")
        return self


class HoldIncrement(BaseModel):
    """One increment of the session's hold, as the acquirer answered it."""

    model_config = ConfigDict(frozen=True)

    number: int  # 1, 2, ...: the idempotency key's `increment/<n>`
    extra: Money
    authorized: Money  # the hold's total after it
    expires_at: datetime  # the acquirer's, never estimated here
    at: datetime


class SessionStatus(BaseModel):
    """The `status` query's answer; also what `wait_accepted` and `request_stop` return."""

    session_id: str
    state: SessionStateName
    operator: str
    charge_point_id: int
    terminal_id: str
    charge_id: int | None = None
    short_code: str | None = None
    consumed_kwh: Decimal = Decimal("0")
    kwh_budget: Decimal | None = None
    price_budget: Money | None = None
    price: Money | None = None
    authorized: Money | None = None
    authorization_id: str | None = None  # the hold, for reconciliation
    captured: Money | None = None
    released: Money | None = None
    uncollected: Money | None = None
    attention: str | None = None
    reason: str | None = None  # why rejected / start_failed / declined, machine-readable
    last_error: str | None = None
    started_at: datetime | None = None
    stop_requested_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    # Monta's state of the charge in the session's latest snapshot (`updated_at` is its
    # instant): lets the API skip a webhook that would only repeat it (api/signal_sender).
    charge_state: str | None = None
    # Incremental authorization: each increment, and why no more are asked (None: they may
    # be; "declined", "unsupported", "unanswered", "scheme_rule" or "ceiling").
    increments: list[HoldIncrement] = []
    increments_ended: str | None = None
    # Idle fees (docs/idle-fees.md): the rules, and idle time so far (settled once captured).
    idle_rules: IdleRules | None = None
    idle: IdleFee | None = None
