"""How a session is started: id, reuse policy, static summary and initial attributes."""

from __future__ import annotations

from decimal import Decimal

from temporalio.common import WorkflowIDReusePolicy

from api.session_start import start_options, static_summary
from core.money import Money
from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.contracts import SessionRequest


def _request(**kw: object) -> SessionRequest:
    base: dict[str, object] = {
        "operator": "alpha",
        "terminal_id": "T7",
        "terminal_transaction_id": "tx1",
        "charge_point_id": 21,
        "amount": Money(amount_minor=5000, currency="EUR"),
        "authorization_ref": "hold_1",
    }
    return SessionRequest.model_validate({**base, **kw})


def test_summary_names_point_and_hold_but_not_the_terminals_card() -> None:
    """The summary never changes, and the terminal's card digits are only its word."""
    summary = static_summary(_request(card_brand="VISA", card_last4="1234"))
    assert summary == "CP 21 · 50.00 EUR hold"


def test_options_reject_duplicates_and_set_attributes() -> None:
    opts = start_options(_request(card_last4="1234"), "q")
    assert opts["id"] == "session-alpha-T7-tx1"
    assert opts["id_reuse_policy"] == WorkflowIDReusePolicy.REJECT_DUPLICATE
    attrs = opts["search_attributes"]
    assert attrs.get(sa.SESSION_STATE) == "authorizing" and attrs.get(sa.CARD_LAST4) == "1234"
    assert attrs.get(sa.CHARGE_POINT_ID) == 21 and attrs.get(sa.OPERATOR) == "alpha"


def test_every_start_begins_by_placing_its_hold() -> None:
    """Nothing, not even a tariff read, happens before the session owns its hold: priced
    or not, a session begins in `authorizing` (set by its starter, no upsert to get there)."""
    point = c.ChargePointInfo(id=21, state="available", available=True)
    tariff = c.Tariff(currency="EUR", per_kwh_minor=55, vat_rate=Decimal("0.25"))
    priced = _request(tariff=c.TariffQuote(charge_point=point, tariff=tariff))
    for request in (priced, _request()):
        assert request.first_state() == "authorizing"
        attrs = start_options(request, "q")["search_attributes"]
        assert attrs.get(sa.SESSION_STATE) == "authorizing"
