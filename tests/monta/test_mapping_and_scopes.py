"""Pure mappings: Monta errors -> Temporal ApplicationErrors, and the scope rules."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from activities.monta.error_mapping import is_charge_point_unavailable, to_application_error
from activities.monta.errors import (
    MontaApiError,
    MontaProtocolError,
    MontaRateLimited,
    MontaScopeError,
    MontaTransportError,
    error_from_response,
)
from activities.monta.scopes import has_scope, scope_problems
from workflows.contracts import ERR_MONTA_CLIENT, ERR_MONTA_RATE_LIMITED, ERR_MONTA_UNAVAILABLE


def api_error(status: int, code: str | None = "SOME_CODE") -> MontaApiError:
    body = {"status": "X", "message": "m", "errorCode": code}
    return error_from_response(httpx.Response(status, json=body), body, "start-charge")


@pytest.mark.parametrize(
    ("status", "err_type", "non_retryable"),
    [
        (400, ERR_MONTA_CLIENT, True),
        (401, ERR_MONTA_CLIENT, True),
        (403, ERR_MONTA_CLIENT, True),
        (404, ERR_MONTA_CLIENT, True),
        (422, ERR_MONTA_CLIENT, True),
        (408, ERR_MONTA_UNAVAILABLE, False),
        (409, ERR_MONTA_UNAVAILABLE, False),
        (500, ERR_MONTA_UNAVAILABLE, False),
        (502, ERR_MONTA_UNAVAILABLE, False),
        (503, ERR_MONTA_UNAVAILABLE, False),
    ],
)
def test_http_status_mapping(status: int, err_type: str, non_retryable: bool) -> None:
    err = to_application_error(api_error(status))
    assert (err.type, err.non_retryable) == (err_type, non_retryable)
    assert list(err.details) == ["SOME_CODE", status]


def test_rate_limited_retries_after_resets_in() -> None:
    resp = httpx.Response(429, headers={"RateLimit-ResetsIn": "42"})
    exc = error_from_response(resp, {"errorCode": "TOO_MANY_REQUESTS"}, "get-charges")
    assert isinstance(exc, MontaRateLimited)
    err = to_application_error(exc)
    assert err.type == ERR_MONTA_RATE_LIMITED and not err.non_retryable
    assert err.next_retry_delay == timedelta(seconds=42)


def test_rate_limited_without_hint_leaves_backoff_to_temporal() -> None:
    exc = error_from_response(httpx.Response(429), None, "get-charges")
    err = to_application_error(exc)
    assert err.type == ERR_MONTA_RATE_LIMITED and err.next_retry_delay is None


def test_transport_and_protocol_errors_are_retryable() -> None:
    req = httpx.Request("GET", "https://monta.test")
    timeout = to_application_error(
        MontaTransportError("get-charge", httpx.ReadTimeout("t", request=req))
    )
    refused = to_application_error(
        MontaTransportError("get-charge", httpx.ConnectError("c", request=req))
    )
    garbled = to_application_error(MontaProtocolError("not json"))
    assert [e.type for e in (timeout, refused, garbled)] == [ERR_MONTA_UNAVAILABLE] * 3
    assert [e.details[0] for e in (timeout, refused, garbled)] == [
        "TIMEOUT",
        "TRANSPORT",
        "PROTOCOL",
    ]
    assert not any(e.non_retryable for e in (timeout, refused, garbled))
    scope = to_application_error(MontaScopeError("no scope"))
    assert scope.type == ERR_MONTA_CLIENT and scope.non_retryable


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (409, "CHARGE_POINT_BUSY", True),
        (400, "CHARGE_POINT_OFFLINE", True),
        (404, "RESOURCE_NOT_FOUND", True),
        (400, "CHARGE_POINT_SOMETHING_NEW", True),
        (400, "BAD_REQUEST", False),
        (503, "CHARGE_POINT_BUSY", False),
        (429, "CHARGE_POINT_BUSY", False),
    ],
)
def test_charge_point_unavailable_classification(status: int, code: str, expected: bool) -> None:
    assert is_charge_point_unavailable(api_error(status, code)) is expected


@pytest.mark.parametrize(
    ("granted", "needed", "ok"),
    [
        (["charge-transactions:read"], "charge-transactions:read", True),
        (["charge-transactions"], "charge-transactions:read", True),  # old unsuffixed
        (["control-charging"], "control-charging:write", True),
        (["control-charging:read"], "control-charging:write", False),
        (["control-charging:delete"], "control-charging:write", True),
        (["all"], "manage-webhooks:write", True),
        (["all:read"], "charge-points:read", True),
        (["all:read"], "control-charging:write", False),
        ([" Charge-Points:READ "], "charge-points:read", True),
        (["charge-points:read"], "charges:write", False),
    ],
)
def test_has_scope(granted: list[str], needed: str, ok: bool) -> None:
    assert has_scope(granted, needed) is ok


def test_scope_problems_name_operator_scope_and_feature() -> None:
    errors, warnings = scope_problems("alpha", ["charge-transactions:read"])
    assert len(errors) == 1
    assert "'alpha'" in errors[0] and "control-charging:write" in errors[0]
    assert "control-public-charging:write" in errors[0]
    assert any("charges:write" in w and "receipt" in w for w in warnings)
    assert len(warnings) == 5
    errors, warnings = scope_problems(
        "bravo", ["charge-transactions:read", "control-public-charging:write", "all:write"]
    )
    assert errors == [] and warnings == []
