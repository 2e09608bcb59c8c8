"""[3 of 7] finding 4: no card number reaches Temporal history through free text. A brand,
a token or a reason that carries one is a 422 with the error shape, and nothing starts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.service import RPCError

from api.session_start import session_id
from tests.api.conftest import ApiHarness
from tests.api.support import auth, new_key, session_body
from workflows.contracts import SessionRequest, StopRequest
from workflows.operator_actions import OperatorAction

PAN = "4111111111111111"


def _tx() -> str:
    return f"tx_{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    "extra",
    [
        {"card_brand": PAN},
        {"card_brand": "VISA 4111 1111 1111 1111"},
        {"authorization_ref": None, "payment_token": "4242424242424242"},
        {"authorization_ref": None, "payment_token": "tok 4242424242424242"},
    ],
    ids=["brand_is_a_pan", "brand_holds_a_pan", "token_is_a_pan", "token_holds_a_pan"],
)
async def test_a_card_number_in_the_start_is_refused_and_nothing_starts(
    api_app: ApiHarness, extra: dict[str, Any]
) -> None:
    key = new_key(api_app.keys_file, "TPAN", [101])
    tx = _tx()
    r = await api_app.http.post("/v1/sessions", json=session_body(tx, **extra), headers=auth(key))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"
    assert PAN not in r.text and "4242424242424242" not in r.text  # not echoed back either
    client: Client = api_app.env.client
    with pytest.raises(RPCError):
        await client.get_workflow_handle(f"session-alpha-TPAN-{tx}").describe()


async def test_a_lower_case_brand_is_read_as_the_brand(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "TBRAND", [101])
    body = session_body(_tx(), card_brand="visa")
    r = await api_app.http.post("/v1/sessions", json=body, headers=auth(key))
    assert r.status_code in (201, 202), r.text


async def test_a_stop_reason_with_a_card_number_is_refused(api_app: ApiHarness) -> None:
    key = new_key(api_app.keys_file, "TSTOP", [101])
    r = await api_app.http.post(
        "/v1/sessions/session-alpha-TSTOP-tx_none/stop",
        json={"reason": f"card {PAN} asked"},
        headers=auth(key),
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_request", r.text


def test_the_session_contract_refuses_card_numbers_too() -> None:
    """Callers other than the API (scripts, the bench) meet the same rules."""
    base = {
        "operator": "alpha",
        "terminal_id": "T1",
        "terminal_transaction_id": "tx1",
        "charge_point_id": 101,
        "amount": {"amount_minor": 1500, "currency": "EUR"},
    }
    with pytest.raises(ValidationError):
        SessionRequest(**base, authorization_ref="hold_1", card_brand=PAN)
    with pytest.raises(ValidationError):
        SessionRequest(**base, payment_token=PAN)
    with pytest.raises(ValidationError):
        StopRequest(reason=PAN)
    with pytest.raises(ValidationError):
        OperatorAction(action="void", request_id="r1", operator_user="ops", reason=PAN)
    ok = SessionRequest(**base, payment_token="tok_visa", card_brand="mastercard")
    assert session_id(ok) == "session-alpha-T1-tx1" and ok.card_brand == "MASTERCARD"
