"""`GET /v1/charge-points/{id}/quote`: the price before the driver pays, and what a hold buys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth import Terminal, require_charge_point
from api.dependencies import State, operator_of
from api.errors import error_responses
from api.quotes import Quote
from api.schemas import MAX_AMOUNT_MINOR
from api.session_config import session_config

router = APIRouter(prefix="/v1/charge-points", tags=["quotes"])


@router.get(
    "/{charge_point_id}/quote",
    response_model=Quote,
    responses=error_responses(401, 403, 404, 409, 422, 503),
    summary="Tariff (net, gross, VAT) and what `amount` buys in kWh",
)
async def quote(
    charge_point_id: Annotated[int, Path(gt=0, le=2**53, openapi_examples={"ac": {"value": 101}})],
    scope: Terminal,
    state: State,
    amount: Annotated[
        int | None,
        Query(
            gt=0,
            le=MAX_AMOUNT_MINOR,
            description="minor units",
            openapi_examples={"hold": {"value": 1500}},
        ),
    ] = None,
    currency: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z]{3}$",
            description="the amount's currency; default: the charge point's",
            openapi_examples={"eur": {"value": "EUR"}},
        ),
    ] = None,
) -> Quote:
    require_charge_point(scope, charge_point_id)
    operator = operator_of(state, scope.operator)
    config = session_config(state.settings, operator, charge_point_id)
    return await state.quotes.quote(operator, config, charge_point_id, amount, currency)
