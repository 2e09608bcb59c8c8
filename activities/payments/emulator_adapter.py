"""Adapter for the acquirer emulator's HTTP API (emulators/payments/README.md).

The acquirer honours `Idempotency-Key` server-side, so a retried write simply resends the
same key and gets the first result back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from activities.payments import errors as e
from activities.payments.protocol import Capabilities
from core.money import Money
from workflows.contracts import (
    Authorization,
    AuthorizeInput,
    CaptureInput,
    CaptureResult,
    IncrementInput,
    RefundInput,
    RefundResult,
    VerifyInput,
    VoidInput,
    VoidResult,
)
from workflows.reconciliation_models import HoldRecord

CAPABILITIES = Capabilities(
    adapter="emulator",
    card_present_verify=True,
    card_not_present_authorize=True,
    increment=True,
    idempotency="server",
    authoritative_expiry=True,
    list_holds=True,
)

# The acquirer's error `type` -> our typed error (402 declines are handled apart).
_ERRORS: dict[str, type[e.PaymentError]] = {
    "authorization_not_found": e.AuthorizationNotFound,
    "already_captured": e.AlreadyCaptured,
    "already_voided": e.AlreadyVoided,
    "authorization_expired": e.AuthorizationExpired,
    "amount_above_authorized": e.AmountAboveAuthorized,
    "amount_above_captured": e.RefundAboveCaptured,
    "not_captured": e.NotCaptured,
    # The hold cannot grow (the card or the scheme does not allow it): definitive.
    "increment_unsupported": e.IncrementUnsupported,
}


def _error(response: httpx.Response) -> e.PaymentError:
    try:
        body = response.json().get("error", {})
    except ValueError:
        body = {}
    kind = str(body.get("type", ""))
    message = f"acquirer {response.status_code} {kind}: {body.get('message', '')}"
    if response.status_code >= 500 or response.status_code == 429:
        return e.PaymentUnavailable(message)
    if response.status_code == 402:
        return e.PaymentDeclined(str(body.get("decline_code", "declined")), message)
    if kind == "unknown_payment_token":
        return e.PaymentDeclined(kind, message)
    return _ERRORS.get(kind, e.PaymentRequestInvalid)(message)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _authorization(body: dict[str, Any]) -> Authorization:
    return Authorization(
        authorization_id=body["id"],
        amount=Money(amount_minor=body["amount_minor"], currency=body["currency"]),
        expires_at=datetime.fromisoformat(body["expires_at"]),
        authorized_at=_instant(body.get("created_at")),
        card_brand=body.get("card_brand"),
        card_last4=body.get("card_last4"),
        card_present=bool(body.get("card_present", True)),
        supports_increment=bool(body.get("supports_increment", False)),
    )


def _usable(body: dict[str, Any]) -> Authorization:
    """A hold read back on verify must still be open to be used."""
    status = body.get("status")
    if status == "expired":
        raise e.AuthorizationExpired(f"authorization {body['id']} expired")
    if status == "captured":
        raise e.AlreadyCaptured(f"authorization {body['id']} is already captured")
    if status == "voided":
        raise e.AlreadyVoided(f"authorization {body['id']} is already voided")
    return _authorization(body)


class EmulatorGateway:
    def __init__(
        self, base_url: str, timeout_s: float = 10.0, client: httpx.AsyncClient | None = None
    ) -> None:
        self._client = client or httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout_s)
        )

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    async def _call(
        self, method: str, path: str, key: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            response = await self._client.request(
                method, path, json=body, headers={"Idempotency-Key": key}
            )
        except httpx.TransportError as exc:  # timeouts included: outcome unknown, retry
            raise e.PaymentUnavailable(f"acquirer unreachable: {exc!r}") from exc
        if response.is_success:
            result: dict[str, Any] = response.json()
            return result
        raise _error(response)

    async def verify(self, request: VerifyInput) -> Authorization:
        path = f"/v1/authorizations/{request.authorization_ref}"
        return _usable(await self._call("GET", path, request.idempotency_key))

    async def authorize(self, request: AuthorizeInput) -> Authorization:
        body = {
            "payment_token": request.payment_token,
            "amount_minor": request.amount.amount_minor,
            "currency": request.amount.currency,
        }
        return _authorization(
            await self._call("POST", "/v1/authorizations", request.idempotency_key, body)
        )

    async def capture(self, request: CaptureInput) -> CaptureResult:
        path = f"/v1/authorizations/{request.authorization_id}/capture"
        body = {"amount_minor": request.amount.amount_minor, "currency": request.amount.currency}
        result = await self._call("POST", path, request.idempotency_key, body)
        currency = result["currency"]
        return CaptureResult(
            captured=Money(amount_minor=result["captured_minor"], currency=currency),
            released=Money(amount_minor=result["released_minor"], currency=currency),
        )

    async def void(self, request: VoidInput) -> VoidResult:
        path = f"/v1/authorizations/{request.authorization_id}/void"
        result = await self._call("POST", path, request.idempotency_key, {})
        return VoidResult(
            released=Money(amount_minor=result["released_minor"], currency=result["currency"])
        )

    async def increment(self, request: IncrementInput) -> Authorization:
        path = f"/v1/authorizations/{request.authorization_id}/increment"
        body = {"amount_minor": request.extra.amount_minor, "currency": request.extra.currency}
        return _authorization(await self._call("POST", path, request.idempotency_key, body))

    async def refund(self, request: RefundInput) -> RefundResult:
        path = f"/v1/authorizations/{request.authorization_id}/refunds"
        body = {"amount_minor": request.amount.amount_minor, "currency": request.amount.currency}
        result = await self._call("POST", path, request.idempotency_key, body)
        refunded = Money(amount_minor=result["amount_minor"], currency=result["currency"])
        return RefundResult(refund_id=str(result["refund_id"]), refunded=refunded)

    async def list_holds(
        self, created_after: datetime, status: str | None = None
    ) -> list[HoldRecord]:
        params = {"created_after": created_after.isoformat(), "limit": "1000"}
        if status is not None:
            params["status"] = status
        try:
            response = await self._client.get("/v1/authorizations", params=params)
        except httpx.TransportError as exc:
            raise e.PaymentUnavailable(f"acquirer unreachable: {exc!r}") from exc
        if not response.is_success:
            raise _error(response)
        return [
            HoldRecord(
                authorization_id=h["id"],
                amount=Money(amount_minor=h["amount_minor"], currency=h["currency"]),
                status=h["status"],
                captured_minor=h["captured_minor"],
                refunded_minor=h.get("refunded_minor", 0),
                created_at=datetime.fromisoformat(h["created_at"]),
                terminal_id=h.get("terminal_id"),
            )
            for h in response.json()["data"]
        ]

    async def aclose(self) -> None:
        await self._client.aclose()
