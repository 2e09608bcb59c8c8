"""The operators file: which Monta accounts chargepay acts for, and their credentials.

A terminal vendor serves several charge point operators; each one issues Partner API
credentials on its own Monta account. The TOML file holds the non-secret parts and names
the environment variables that carry the secrets, so the file can be committed.
"""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    SecretStr,
    field_validator,
    model_validator,
)

from core.idle_rules import IdleFeeRule

OPERATOR_KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")


class OperatorConfigError(ValueError):
    """The operators file is missing, malformed, or names an unset secret."""


DEFAULT_MAX_HOLD_MINOR = 300_00


class Operator(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str = Field(pattern=OPERATOR_KEY.pattern)
    name: str
    monta_client_id: str
    monta_client_secret: SecretStr
    webhook_secrets: tuple[SecretStr, ...] = ()
    default_paying_team_id: int
    provider_slug: str = "chargepay"
    # Requests per window Monta grants this credential (read back from /consumers/me).
    rate_limit: int = 1000
    rate_limit_window_s: float = 600.0
    monta_base_url: str | None = None
    # Monta's price groups carry no VAT rate: the operator's (None: the settings' default)
    # grosses up its net tariff for budgets, quotes and settlement.
    vat_rate: Decimal | None = Field(default=None, ge=0, lt=1)
    # The largest hold a start may ask for, in minor units of the start's currency: a hold
    # above what a charge can cost only blocks a driver's money for days.
    max_hold_minor: int = Field(default=DEFAULT_MAX_HOLD_MINOR, gt=0)
    # Incremental authorization (docs/increments.md), off at 0: the largest the hold may
    # grow to, in minor units of the start's currency. Monta's kwhLimit and priceLimit are
    # then set from it, since Monta cannot raise them after the start.
    increment_ceiling_minor: int = Field(default=0, ge=0)
    # With increments on: the first hold of a token (card-not-present) start, at most this
    # (0: the start's `amount`); the session grows it towards the ceiling. A card-present
    # start keeps whatever hold the terminal placed.
    first_hold_minor: int = Field(default=0, ge=0)
    # With increments on: charge points where they stay off, the operator's choice per site,
    # since with them on Monta's caps come from the ceiling (docs/increments.md).
    increments_off_points: tuple[PositiveInt, ...] = ()
    # Idle fees where Monta's price group has none (docs/idle-fees.md): per charge point id,
    # or "*" for every other point of the operator. Monta's own idle fee always wins.
    idle_fees: dict[str, IdleFeeRule] = {}
    # The seller on the driver's receipt (a tax document): legal name (default `name`),
    # address and VAT id; the receipt's language and number formats (a babel locale), and
    # the time zone of its charge points when their country does not name one.
    legal_name: str = ""
    address: str = ""
    vat_id: str = ""
    locale: str = Field(default="en_GB", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    time_zone: str = "UTC"

    @model_validator(mode="after")
    def _first_hold_within_ceiling(self) -> Operator:
        if self.increments_off_points and self.increment_ceiling_minor == 0:
            raise ValueError("increments_off_points needs increments on (increment_ceiling_minor)")
        if self.first_hold_minor == 0:
            return self
        if self.increment_ceiling_minor == 0:
            raise ValueError("first_hold_minor needs increments on (increment_ceiling_minor)")
        if self.first_hold_minor > self.increment_ceiling_minor:
            raise ValueError(
                f"first_hold_minor {self.first_hold_minor} is above the ceiling "
                f"{self.increment_ceiling_minor}"
            )
        return self

    @field_validator("idle_fees")
    @classmethod
    def _idle_fee_points(cls, value: dict[str, IdleFeeRule]) -> dict[str, IdleFeeRule]:
        bad = [k for k in value if k != "*" and not (k.isdigit() and int(k) > 0)]
        if bad:
            raise ValueError(f"idle_fees keys are charge point ids or '*', not {bad}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def increments_at(self, charge_point_id: int | None) -> tuple[int, int]:
        """The increment ceiling and first hold at a charge point: (0, 0) where they are off."""
        if charge_point_id in self.increments_off_points:
            return 0, 0
        return self.increment_ceiling_minor, self.first_hold_minor

    def idle_fee_rule(self, charge_point_id: int) -> IdleFeeRule | None:
        """The operator's idle settings at a charge point (None: none set); a rule with no
        fee still says whether the charger detects the unplug."""
        return self.idle_fees.get(str(charge_point_id), self.idle_fees.get("*"))

    @property
    def seller_name(self) -> str:
        return self.legal_name or self.name

    @property
    def monta_task_queue(self) -> str:
        return f"monta-{self.key}"


def _secret(env_name: str, operator: str, field: str) -> str:
    value = os.environ.get(env_name)
    if not value:
        raise OperatorConfigError(f"operator {operator!r}: {field} env var {env_name} is not set")
    return value


def parse_operators(data: dict[str, object]) -> dict[str, Operator]:
    raw = data.get("operators")
    if not isinstance(raw, dict) or not raw:
        raise OperatorConfigError("operators file has no [operators.<key>] tables")
    result: dict[str, Operator] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise OperatorConfigError(f"operator {key!r}: expected a table")
        entry = dict(entry)
        secret_env = entry.pop("client_secret_env", None)
        if not isinstance(secret_env, str):
            raise OperatorConfigError(f"operator {key!r}: client_secret_env is required")
        hooks_env = entry.pop("webhook_secrets_env", None)
        webhook_secrets: tuple[str, ...] = ()
        if isinstance(hooks_env, str):
            raw_secrets = _secret(hooks_env, key, "webhook_secrets")
            # Two secrets are accepted while one is being rotated.
            webhook_secrets = tuple(s.strip() for s in raw_secrets.split(",") if s.strip())
        try:
            result[key] = Operator(
                key=key,
                monta_client_secret=SecretStr(_secret(secret_env, key, "client_secret")),
                webhook_secrets=tuple(SecretStr(s) for s in webhook_secrets),
                **entry,
            )
        except ValueError as exc:
            raise OperatorConfigError(f"operator {key!r}: {exc}") from exc
    return result


def load_operators(path: Path) -> dict[str, Operator]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise OperatorConfigError(f"operators file {path} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OperatorConfigError(f"operators file {path}: {exc}") from exc
    return parse_operators(data)
