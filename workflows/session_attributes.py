"""The search attributes a session keeps current, so operators and alerts can filter
sessions in visibility (workflows/search_attributes.py lists them).

Every upsert is a history event: each helper upserts only what is missing or differs.
Called from workflow code only; `state_updates` is the pure part.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate, SearchAttributeValueType

from workflows.contracts import FINAL_STATES, Authorization, SessionRequest, SessionStateName
from workflows.search_attributes import (
    ATTENTION,
    CARD_LAST4,
    CHARGE_POINT_ID,
    HOLD_EXPIRES_AT,
    MONTA_CHARGE_ID,
    OPERATOR,
    SESSION_STATE,
    STATE_SINCE,
    TERMINAL_ID,
)
from workflows.session_data import SessionData

ATTENTION_MAX_CHARS = 200  # a Keyword is short; the whole text is in `status`


def state_updates(
    state: SessionStateName, authorization: Authorization | None, now: datetime
) -> list[SearchAttributeUpdate[Any]]:
    """A state change carries when it happened and, once known, when the hold expires: the
    stuck-session and hold-expiry alerts read both from visibility. A final state has
    captured or released the hold, so its expiry is unset."""
    updates: list[SearchAttributeUpdate[Any]] = [
        SESSION_STATE.value_set(state),
        STATE_SINCE.value_set(now),
    ]
    if authorization is not None:
        final = state in FINAL_STATES
        updates.append(
            HOLD_EXPIRES_AT.value_unset()
            if final
            else HOLD_EXPIRES_AT.value_set(authorization.expires_at)
        )
    return updates


def upsert_hold_expiry(authorization: Authorization) -> None:
    """An increment's answer may move the hold's expiry: the hold-expiry alert follows it."""
    workflow.upsert_search_attributes([HOLD_EXPIRES_AT.value_set(authorization.expires_at)])


def set_state(data: SessionData, state: SessionStateName) -> None:
    """Move the session to `state`: one upsert per change, none when visibility already
    shows it."""
    data.state = state
    if workflow.info().typed_search_attributes.get(SESSION_STATE) == state:
        return
    workflow.upsert_search_attributes(state_updates(state, data.authorization, workflow.now()))


def flag(data: SessionData, reason: str) -> None:
    """Ask an operator to look: the reason joins the session's `attention` (in its status)
    and the `Attention` search attribute operators filter by."""
    data.attention = reason if not data.attention else f"{data.attention}; {reason}"
    upsert_attention(data.attention)


def upsert_changed(
    key: SearchAttributeKey[SearchAttributeValueType], value: SearchAttributeValueType
) -> None:
    if workflow.info().typed_search_attributes.get(key) != value:
        workflow.upsert_search_attributes([key.value_set(value)])


def upsert_attention(attention: str) -> None:
    upsert_changed(ATTENTION, attention[:ATTENTION_MAX_CHARS])


def upsert_charge_id(charge_id: int) -> None:
    upsert_changed(MONTA_CHARGE_ID, charge_id)


def upsert_card(request: SessionRequest, data: SessionData) -> None:
    """The card's last 4 digits as the acquirer reported them once the hold is known; until
    then what the terminal said (it may be wrong: the acquirer read the card)."""
    auth = data.authorization
    last4 = (auth.card_last4 if auth else None) or request.card_last4
    if last4:
        upsert_changed(CARD_LAST4, last4)


def upsert_identity(request: SessionRequest, data: SessionData) -> None:
    """At each run's start. The starter usually sets these already (api/session_start.py):
    upsert only what is missing or differs."""
    upsert_changed(OPERATOR, request.operator)
    upsert_changed(CHARGE_POINT_ID, request.charge_point_id)
    upsert_changed(TERMINAL_ID, request.terminal_id)
    upsert_card(request, data)
    upsert_changed(SESSION_STATE, data.state)
    if data.charge_id is not None:
        upsert_charge_id(data.charge_id)
    if data.attention:
        upsert_attention(data.attention)
