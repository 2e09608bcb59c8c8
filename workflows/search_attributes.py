"""Typed search attributes operators filter sessions by in the Temporal UI.

Within SQL visibility's per-namespace limits (10 Keyword, 3 Int, 3 Datetime). Stored
unencrypted: card brand/last 4 only, never more. `StateSince` and `HoldExpiresAt` feed the
stuck-session and hold-expiry gauges (observability/gauges.py) and their alerts.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

SESSION_STATE = SearchAttributeKey.for_keyword("SessionState")
OPERATOR = SearchAttributeKey.for_keyword("Operator")
CHARGE_POINT_ID = SearchAttributeKey.for_int("ChargePointId")
MONTA_CHARGE_ID = SearchAttributeKey.for_int("MontaChargeId")
TERMINAL_ID = SearchAttributeKey.for_keyword("TerminalId")
CARD_LAST4 = SearchAttributeKey.for_keyword("CardLast4")
ATTENTION = SearchAttributeKey.for_keyword("Attention")
STATE_SINCE = SearchAttributeKey.for_datetime("StateSince")
HOLD_EXPIRES_AT = SearchAttributeKey.for_datetime("HoldExpiresAt")

ALL: tuple[SearchAttributeKey, ...] = (
    SESSION_STATE,
    OPERATOR,
    CHARGE_POINT_ID,
    MONTA_CHARGE_ID,
    TERMINAL_ID,
    CARD_LAST4,
    ATTENTION,
    STATE_SINCE,
    HOLD_EXPIRES_AT,
)


def dev_server_flags() -> list[str]:
    """`temporal server start-dev --search-attribute Name=Type ...` arguments."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={key.indexed_value_type.name.title()}"]
    return flags
