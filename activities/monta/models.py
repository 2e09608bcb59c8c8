"""Typed Monta Partner API objects (v1), only the fields chargepay reads or writes.

Tolerant by design: unknown fields are ignored, enum-like fields (states, kinds, types)
are plain strings so a value Monta adds tomorrow does not break parsing, and every money
or kWh number is a Decimal (the client parses JSON floats as Decimal).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

T = TypeVar("T")


MAX_JSON_INT = 2**53  # the largest integer a JSON number carries exactly


class MontaModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    def to_wire(self) -> dict[str, Any]:
        """camelCase dict without unset optionals; Decimals stay Decimal (see jsonio.dumps)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="python")


# ---------------------------------------------------------------- known enum values
class ChargeState:
    """`ChargeStateDto` values; `completed` is the only terminal, immutable state."""

    PAYING = "paying"
    RESERVED = "reserved"
    STARTING = "starting"
    SCHEDULED = "scheduled"
    CHARGING = "charging"
    PAUSED = "paused"
    STOPPING = "stopping"
    STOPPED = "stopped"
    RELEASING = "releasing"
    RELEASED = "released"
    COMPLETED = "completed"
    OTHER = "other"

    # A stop request for a charge in one of these has nothing left to do.
    STOP_REQUESTED_OR_ENDED: frozenset[str] = frozenset(
        {STOPPING, STOPPED, RELEASING, RELEASED, COMPLETED}
    )


class ChargePointState:
    AVAILABLE = "available"
    BUSY = "busy"
    ERROR = "error"
    DISCONNECTED = "disconnected"
    PASSIVE = "passive"
    MAINTENANCE = "maintenance"
    OTHER = "other"

    # A remote start can only succeed from `available`; every `busy-*` variant is busy.
    STARTABLE: frozenset[str] = frozenset({AVAILABLE})


# ---------------------------------------------------------------- shared pieces
class Currency(MontaModel):
    """`identifier` is `dkk` in the spec's example and `DKK` elsewhere: use `.code`."""

    identifier: str
    name: str | None = None
    decimals: int | None = None

    @property
    def code(self) -> str:
        return self.identifier.upper()


class MontaMoney(MontaModel):
    """Price-group `Money`: int64 minor units plus the currency and its decimals."""

    amount: int
    currency: Currency | None = None


class PageMeta(MontaModel):
    item_count: int = 0
    current_page: int = 0
    per_page: int = 0
    total_page_count: int = 0
    total_item_count: int = 0


class Page(MontaModel, Generic[T]):
    data: list[T] = Field(default_factory=list)
    meta: PageMeta = Field(default_factory=PageMeta)

    @property
    def is_last(self) -> bool:
        return self.meta.current_page + 1 >= self.meta.total_page_count or not self.data


class Token(MontaModel):
    access_token: str
    refresh_token: str
    access_token_expiration_date: datetime
    refresh_token_expiration_date: datetime


class Consumer(MontaModel):
    name: str = ""
    operator_id: int | None = None
    operator_ids: list[int] = Field(default_factory=list)
    team_ids: list[int] = Field(default_factory=list)
    client_id: str = ""
    scopes: list[str] = Field(default_factory=list)
    rate_limit: int | None = None
    rate_limit_interval_in_seconds: int | None = None


# ---------------------------------------------------------------- charges
class GenericPaymentSession(MontaModel):
    provider: str
    external_id: str
    partner_external_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = Field(default=None, alias="cardLast4")
    amount: Decimal | None = Field(default=None, ge=0)


class Charge(MontaModel):
    # Monta's ids are JSON numbers: anything past 2^53 cannot be one (and is no id of ours).
    id: int = Field(gt=0, le=MAX_JSON_INT)
    state: str
    charge_point_id: int | None = None
    price_group_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime
    cable_plugged_in_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    fully_charged_at: datetime | None = None
    released_at: datetime | None = None
    failed_at: datetime | None = None
    timeout_at: datetime | None = None
    completed_at: datetime | None = None
    # Energy and money only grow from zero: a negative reading is unreadable, not news.
    consumed_kwh: Decimal | None = Field(default=None, ge=0)
    kwh_limit: Decimal | None = Field(default=None, ge=0)
    price_limit: Decimal | None = Field(default=None, ge=0)
    price: Decimal | None = Field(default=None, ge=0)
    cost: Decimal | None = Field(default=None, ge=0)
    currency: Currency | None = None
    failure_reason: str | None = None
    stop_reason: str | None = None
    start_source: str | None = None
    partner_external_id: str | None = None
    generic_payment_session: GenericPaymentSession | None = None


class StartChargeRequest(MontaModel):
    paying_team_id: int
    charge_point_id: int
    reserve_charge: bool | None = None
    kwh_limit: Decimal | None = Field(default=None, ge=1, le=500)
    soc_limit: Decimal | None = Field(default=None, ge=1, le=100)
    price_limit: Decimal | None = Field(default=None, ge=1)
    price_group_id: int | None = Field(default=None, gt=0)
    generic_payment_session: GenericPaymentSession | None = None
    partner_external_id: str | None = None
    partner_custom_payload: dict[str, Any] | None = None


class StartChargeResponse(MontaModel):
    """The spec answers a bare Charge; einride's client decodes `{"charge": {...}}`."""

    charge: Charge

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("charge"), dict):
            return data
        return {"charge": data}


# ---------------------------------------------------------------- charge points, prices
class Address(MontaModel):
    address1: str | None = None
    zip: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


class Location(MontaModel):
    address_label: str | None = None
    address: Address | None = None


class ChargePoint(MontaModel):
    id: int
    team_id: int | None = None
    site_id: int | None = None
    name: str | None = None
    state: str | None = None
    type: str | None = None  # ac / dc
    max_kw: Decimal | None = None
    max_kw_deprecated: Decimal | None = Field(default=None, alias="maxKW")
    price_group_id: int | None = None
    cable_plugged_in: bool | None = None
    is_active: bool | None = None
    partner_external_id: str | None = None
    location: Location | None = None

    @property
    def power_kw(self) -> Decimal | None:
        return self.max_kw if self.max_kw is not None else self.max_kw_deprecated


class Pricing(MontaModel):
    """One element of a price group: the master price or a fee. `type` is `PricingType`
    (kwh, min, spot, tariff, starting, charging, idle) plus `minute`, which the spec's prose
    uses for the minute fee."""

    id: int | None = None
    description: str | None = None
    type: str
    master: bool = False
    apply_after_minutes: int | None = None
    price: MontaMoney | None = None
    fee_price_max: MontaMoney | None = None
    end_at_fully_charged: bool | None = None


class PriceGroup(MontaModel):
    id: int
    name: str = ""
    type: str | None = None
    master_price: Pricing | None = None
    tariffs: list[Pricing] | None = None
    fees: list[Pricing] | None = None
    # Not in Monta's v1 schema (VAT is set per country there); read when present, in %.
    vat_percentage: Decimal | None = None

    @property
    def vat_rate(self) -> Decimal | None:
        return None if self.vat_percentage is None else self.vat_percentage / 100


# ---------------------------------------------------------------- wallet transactions
class WalletTransaction(MontaModel):
    id: int
    state: str
    group: str | None = None
    kind: str | None = None
    from_amount: Decimal | None = None
    from_currency: Currency | None = None
    to_amount: Decimal | None = None
    to_currency: Currency | None = None
    reference_id: str | None = None
    reference_type: str | None = None
    created_at: datetime | None = None


# ---------------------------------------------------------------- webhooks
class WebhookConfig(MontaModel):
    webhook_url: str
    webhook_secret: str | None = None  # Monta may not echo it back on GET
    event_types: list[str]
    custom_headers: dict[str, Any] | None = None
