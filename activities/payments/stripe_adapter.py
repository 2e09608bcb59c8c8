"""Stripe PaymentIntents with `capture_method=manual`, through the official `stripe` package
(its async client over httpx; no SDK retries: Temporal retries with the same key).

Every write sends `Idempotency-Key`. Capture and void also read the intent first and
record their key in the intent's metadata, so a retry is safe even where the server does
not honour idempotency keys (localstripe): already captured with our key -> the first
result; with another key -> AlreadyCaptured.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar, cast

import stripe

from activities.payments import errors as e
from activities.payments import stripe_currency as sc
from activities.payments import stripe_holds, stripe_refunds
from activities.payments import stripe_intents as si
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

T = TypeVar("T")

CAPABILITIES = Capabilities(
    adapter="stripe",
    card_present_verify=True,
    card_not_present_authorize=True,
    increment=True,
    idempotency="server+adapter",
    authoritative_expiry=False,
    list_holds=True,
    notes=(
        "verify expects a PaymentIntent in requires_capture (placed by Stripe Terminal)",
        "list_holds lists only intents marked chargepay's: chargepay_hold (authorize) or"
        " chargepay_terminal (set by the terminal integration); others are never voided",
        "increment only where Stripe reports incremental_authorization available",
        "expires_at is capture_before when Stripe returns it, else created + 48 h / 7 days",
        "authorize idempotency relies on Stripe's server-side Idempotency-Key only",
    ),
)


log = logging.getLogger(__name__)

# Stripe's 400 codes that say what the refusal is (https://docs.stripe.com/error-codes).
_AMOUNT_ABOVE_CODES = frozenset({"amount_too_large"})
_AMOUNT_NOT_REPRESENTABLE_CODES = frozenset({"invalid_charge_amount_no_decimal_compatible"})


def _error_body(exc: stripe.StripeError) -> dict[str, Any]:
    body: dict[str, Any] = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _decline_code(exc: stripe.StripeError) -> str:
    return str(_error_body(exc).get("decline_code") or exc.code or "card_declined")


def _credentials_rejected(status: int, message: str) -> e.PaymentError:
    # The one alert for a wrong or rotated key: every payment call fails the same way until
    # an operator fixes it, and Temporal keeps retrying them (holds stay open, nothing lost).
    log.error(
        "Stripe refused chargepay's API key (HTTP %s): the credential is wrong, rotated or"
        " lacks a permission; fix CHARGEPAY_STRIPE_API_KEY. Payment calls are retried until"
        " it is fixed. %s",
        status,
        message,
    )
    return e.PaymentCredentialsRejected(message)


def _rejection(code: str | None, message: str, error: dict[str, Any]) -> e.PaymentError:
    """A 4xx refusal that is neither a decline nor a credential problem, by Stripe's code."""
    if code in _AMOUNT_ABOVE_CODES:
        return e.AmountAboveAuthorized(message)
    if code in _AMOUNT_NOT_REPRESENTABLE_CODES:
        return e.AmountNotRepresentable(message)
    intent = error.get("payment_intent")
    if code == "payment_intent_unexpected_state" and isinstance(intent, dict):
        if intent.get("status") != "requires_capture":
            return si.state_error(intent)
    return e.PaymentRequestInvalid(message, code or "invalid_request")


def _map(exc: stripe.StripeError) -> e.PaymentError:
    """Stripe's documented errors -> our typed errors (see payments-and-peers.md §2.1)."""
    status = exc.http_status or 0
    error = _error_body(exc)
    code = str(error.get("code") or exc.code or "") or None
    message = f"stripe {status}{f' {code}' if code else ''}: {exc.user_message or exc}"
    if isinstance(exc, stripe.CardError):
        return e.PaymentDeclined(_decline_code(exc), message)
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or status >= 500:
        return e.PaymentUnavailable(message)
    if status == 409:  # a concurrent request with the same key: retry later
        return e.PaymentUnavailable(message)
    if status in (401, 403) or isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return _credentials_rejected(status, message)
    if status == 404:
        return e.AuthorizationNotFound(message)
    return _rejection(code, message, error)


async def _call(call: Awaitable[T]) -> T:
    try:
        return await call
    except stripe.StripeError as exc:
        raise _map(exc) from exc


async def _attempt(call: Awaitable[object]) -> e.PaymentError | None:
    """A capture or cancel. Stripe's refusal is returned, not raised: it may only mean that
    another call moved the intent first, so the caller reads the intent again and decides;
    retryable errors, declines and credential refusals are raised as they are."""
    try:
        await call
    except stripe.StripeError as exc:
        mapped = _map(exc)
        if mapped.retryable or isinstance(mapped, e.PaymentDeclined):
            raise mapped from exc
        mapped.__cause__ = exc
        return mapped
    return None


class StripeGateway:
    def __init__(
        self,
        api_key: str,
        api_base: str = "https://api.stripe.com",
        timeout_s: float = 10.0,
    ) -> None:
        self._http = stripe.HTTPXClient(timeout=timeout_s)
        client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            http_client=self._http,
            max_network_retries=0,
        )
        self._client = client
        self._intents = client.v1.payment_intents

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    # ------------------------------------------------------------ reading
    async def _load(self, intent_id: str) -> dict[str, Any]:
        pi = await _call(self._intents.retrieve_async(intent_id, {"expand": ["latest_charge"]}))
        return pi.to_dict()

    async def _card(self, pi: dict[str, Any]) -> si.CardDetails:
        card = si.card_details(pi)
        if card.brand is not None:
            return card
        # localstripe: no payment_method_details; the PaymentMethod has brand and last 4.
        pm_id = (si.charge_of(pi) or {}).get("payment_method") or pi.get("payment_method")
        if not isinstance(pm_id, str):
            return card
        pm = (await _call(self._client.v1.payment_methods.retrieve_async(pm_id))).to_dict()
        pm_card = pm.get("card") or pm.get("card_present") or {}
        return si.CardDetails(brand=pm_card.get("brand"), last4=pm_card.get("last4"))

    async def _authorization(self, pi: dict[str, Any], *, card_present: bool) -> Authorization:
        if pi.get("status") != "requires_capture":
            raise si.state_error(pi)
        return si.to_authorization(pi, await self._card(pi), card_present=card_present)

    async def _mark(self, pi: dict[str, Any], name: str, key: str) -> None:
        """Record which idempotency key moves this intent's money (adapter-side replay)."""
        await _call(
            self._intents.update_async(
                str(pi["id"]), {"metadata": {name: key}}, {"idempotency_key": f"{key}/mark"}
            )
        )

    # ------------------------------------------------------------ protocol
    async def verify(self, request: VerifyInput) -> Authorization:
        pi = await self._load(request.authorization_ref)
        return await self._authorization(pi, card_present=True)

    async def authorize(self, request: AuthorizeInput) -> Authorization:
        params: Any = {
            "amount": sc.to_stripe_amount(request.amount),
            "currency": request.amount.currency.lower(),
            "payment_method": request.payment_token,
            "capture_method": "manual",
            "confirm": True,
            # Marks the intent chargepay's, so reconciliation may judge it (stripe_holds.py).
            "metadata": {stripe_holds.HOLD_MARK: request.idempotency_key},
        }
        options: Any = {"idempotency_key": request.idempotency_key}
        created = await _call(self._intents.create_async(params, options))
        pi = await self._load(created.id)
        return await self._authorization(pi, card_present=False)

    async def capture(self, request: CaptureInput) -> CaptureResult:
        pi = await self._load(request.authorization_id)
        if pi.get("status") == "requires_capture":
            authorized = si.authorized_money(pi)
            if request.amount.currency != authorized.currency:
                raise e.PaymentRequestInvalid(f"capture in {request.amount.currency}")
            amount = sc.to_stripe_amount(request.amount)  # refused here if inexact
            capturable = si.capturable_stripe_amount(pi)
            if amount > capturable:
                raise e.AmountAboveAuthorized(
                    f"{request.amount} exceeds what {pi['id']} can still capture"
                    f" ({capturable} in Stripe's {authorized.currency} units)"
                )
            await self._mark(pi, si.CAPTURE_KEY, request.idempotency_key)
            params: Any = {"amount_to_capture": amount}
            options: Any = {"idempotency_key": request.idempotency_key}
            refused = await _attempt(self._intents.capture_async(str(pi["id"]), params, options))
            pi = await self._load(request.authorization_id)
            if refused is not None and pi.get("status") == "requires_capture":
                raise refused  # the hold is still open: the refusal is the answer
        if pi.get("status") == "succeeded":
            if si.metadata_key(pi, si.CAPTURE_KEY) != request.idempotency_key:
                raise si.state_error(pi)
            authorized = si.authorized_money(pi)
            captured = si.captured_money(pi)
            return CaptureResult(
                captured=captured,
                released=Money(
                    amount_minor=authorized.amount_minor - captured.amount_minor,
                    currency=authorized.currency,
                ),
            )
        raise si.state_error(pi)

    async def void(self, request: VoidInput) -> VoidResult:
        pi = await self._load(request.authorization_id)
        if pi.get("status") == "requires_capture":
            await self._mark(pi, si.VOID_KEY, request.idempotency_key)
            options: Any = {"idempotency_key": request.idempotency_key}
            refused = await _attempt(self._intents.cancel_async(str(pi["id"]), None, options))
            pi = await self._load(request.authorization_id)
            if refused is not None and pi.get("status") == "requires_capture":
                raise refused
        if pi.get("status") == "canceled":
            if si.metadata_key(pi, si.VOID_KEY) != request.idempotency_key:
                raise si.state_error(pi)
            return VoidResult(released=si.authorized_money(pi))
        raise si.state_error(pi)

    async def increment(self, request: IncrementInput) -> Authorization:
        pi = await self._load(request.authorization_id)
        await self._authorization(pi, card_present=True)  # must still be open
        authorized = si.authorized_money(pi)
        if request.extra.currency != authorized.currency:
            raise e.PaymentRequestInvalid(f"increment in {request.extra.currency}")
        if si.card_details(pi).increment_available is False:
            raise e.IncrementUnsupported(f"{pi['id']}: incremental authorization unavailable")
        params: Any = {"amount": int(pi["amount"]) + sc.to_stripe_amount(request.extra)}
        options: Any = {"idempotency_key": request.idempotency_key}
        try:
            await self._intents.increment_authorization_async(str(pi["id"]), params, options)
        except stripe.StripeError as exc:
            if exc.http_status in (400, 404) and not isinstance(exc, stripe.CardError):
                raise e.IncrementUnsupported(f"stripe {exc.http_status}: {exc}") from exc
            raise _map(exc) from exc
        return await self._authorization(await self._load(str(pi["id"])), card_present=True)

    async def list_holds(
        self, created_after: datetime, status: str | None = None
    ) -> list[HoldRecord]:
        def page(params: dict[str, Any]) -> Awaitable[Any]:
            return _call(self._intents.list_async(cast(Any, params)))

        return await stripe_holds.list_holds(page, created_after, status)

    async def refund(self, request: RefundInput) -> RefundResult:
        return await stripe_refunds.refund(self._client, self._load, _call, request)

    async def aclose(self) -> None:
        await self._http.close_async()
