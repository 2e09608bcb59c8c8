"""Async client for Monta's Partner API (v1), one instance per operator credential.

Every request carries a timeout and `Monta-Version`; the access token is cached and
refreshed before it expires (tokens.py); a 401 INVALID_ACCESS_TOKEN drops the token and
retries once; every non-2xx answer becomes a typed error (errors.py). JSON numbers are read
as Decimal, so no price ever passes through a float.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from activities.monta import jsonio
from activities.monta.errors import (
    MontaApiError,
    MontaProtocolError,
    MontaRateLimited,
    MontaTransportError,
    error_from_response,
)
from activities.monta.metrics import MontaMetrics
from activities.monta.models import (
    Charge,
    ChargePoint,
    Consumer,
    GenericPaymentSession,
    Page,
    PriceGroup,
    StartChargeRequest,
    StartChargeResponse,
    Token,
    WalletTransaction,
    WebhookConfig,
)
from activities.monta.tokens import Now, TokenCache, utc_now
from core.operators import Operator
from settings import Settings

API_PREFIX = "/api/v1"
MAX_PER_PAGE = 100
M = TypeVar("M", bound=BaseModel)


def monta_datetime(value: datetime) -> str:
    """Query-string dates as the spec wants them: `yyyy-MM-ddTHH:mm:ssZ` (UTC, no fraction)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _api_base(base_url: str) -> str:
    base = base_url.rstrip("/")
    return base if base.endswith(API_PREFIX) else base + API_PREFIX


def _parse(model: type[M], data: Any, endpoint: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise MontaProtocolError(f"Monta {endpoint}: unexpected body: {exc}") from exc


def _query(**params: Any) -> dict[str, str]:
    """Drop unset parameters; render datetimes the Monta way."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = monta_datetime(value) if isinstance(value, datetime) else str(value)
    return out


class MontaClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout_s: float,
        monta_version: str = "v1",
        refresh_margin_s: float = 120,
        operator: str = "",
        time_scale: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Now = utc_now,
    ) -> None:
        self.operator = operator or client_id
        self.monta_version = monta_version
        self.time_scale = time_scale
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = httpx.AsyncClient(
            base_url=_api_base(base_url),
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )
        self.metrics = MontaMetrics(self.operator)
        self.tokens = TokenCache(
            self._login, self._refresh, refresh_margin_s=refresh_margin_s, now=now
        )

    @classmethod
    def from_operator(cls, operator: Operator, settings: Settings, **kw: Any) -> MontaClient:
        return cls(
            operator.monta_base_url or settings.monta_base_url,
            operator.monta_client_id,
            operator.monta_client_secret.get_secret_value(),
            timeout_s=settings.monta_timeout_s,
            monta_version=settings.monta_version,
            # The margin is a real-world duration; token expiry instants are wall-clock.
            refresh_margin_s=settings.clock.wall_seconds(settings.monta_token_refresh_margin_s),
            operator=operator.key,
            time_scale=settings.time_scale,
            **kw,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------ transport
    async def _send(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        token: str | None = None,
    ) -> tuple[httpx.Response, Any]:
        headers = {"Monta-Version": self.monta_version, "Accept": "application/json"}
        content: bytes | None = None
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            content = jsonio.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            resp = await self._http.request(
                method, path, params=params, content=content, headers=headers
            )
        except httpx.TransportError as exc:
            self.metrics.record(endpoint, "transport")
            raise MontaTransportError(endpoint, exc) from exc
        self.metrics.record(endpoint, resp.status_code)
        try:
            data = jsonio.loads(resp.content) if resp.content else None
        except ValueError as exc:
            if resp.is_success:
                raise MontaProtocolError(f"Monta {endpoint}: body is not JSON") from exc
            data = None
        return resp, data

    async def _call(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """An authenticated call; a rejected access token is dropped and the call retried once."""
        for attempt in (1, 2):
            token = await self.tokens.access_token()
            resp, data = await self._send(
                method, path, endpoint, params=params, body=body, token=token
            )
            if resp.is_success:
                return data
            err = self._error(resp, data, endpoint)
            if (
                attempt == 1
                and resp.status_code == 401
                and err.error_code == "INVALID_ACCESS_TOKEN"
            ):
                await self.tokens.invalidate(token)
                continue
            raise err
        raise AssertionError("unreachable")

    def _error(self, resp: httpx.Response, data: Any, endpoint: str) -> MontaApiError:
        err = error_from_response(resp, data, endpoint)
        if isinstance(err, MontaRateLimited) and err.resets_in_s is not None:
            err.retry_after_s = err.resets_in_s / self.time_scale
        return err

    async def _token_call(self, path: str, endpoint: str, body: dict[str, str]) -> Token:
        resp, data = await self._send("POST", path, endpoint, body=body)
        if not resp.is_success:
            raise self._error(resp, data, endpoint)
        return _parse(Token, data, endpoint)

    async def _login(self) -> Token:
        return await self._token_call(
            "/auth/token",
            "get-access-token-with-client-credentials",
            {"clientId": self._client_id, "clientSecret": self._client_secret},
        )

    async def _refresh(self, refresh_token: str) -> Token:
        return await self._token_call(
            "/auth/refresh",
            "get-access-token-with-refresh-token",
            {"refreshToken": refresh_token},
        )

    async def _fetch(
        self,
        model: type[M],
        method: str,
        path: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> M:
        data = await self._call(method, path, endpoint, params=params, body=body)
        return _parse(model, data, endpoint)

    # ------------------------------------------------------------ consumer
    async def get_consumer(self) -> Consumer:
        return await self._fetch(Consumer, "GET", "/consumers/me", "get-current-consumer")

    # ------------------------------------------------------------ charge points, prices
    async def list_charge_points(
        self, page: int = 0, per_page: int = MAX_PER_PAGE
    ) -> Page[ChargePoint]:
        params = _query(page=page, perPage=per_page)
        return await self._fetch(
            Page[ChargePoint], "GET", "/charge-points", "get-charge-points", params=params
        )

    async def get_charge_point(self, charge_point_id: int) -> ChargePoint:
        path = f"/charge-points/{charge_point_id}"
        return await self._fetch(ChargePoint, "GET", path, "get-charge-point")

    async def get_price_group(self, price_group_id: int) -> PriceGroup:
        path = f"/price-groups/{price_group_id}"
        return await self._fetch(PriceGroup, "GET", path, "getPriceGroup")

    # ------------------------------------------------------------ charges
    async def start_charge(self, request: StartChargeRequest) -> Charge:
        body = request.to_wire()
        started = await self._fetch(
            StartChargeResponse, "POST", "/charges", "start-charge", body=body
        )
        return started.charge

    async def get_charge(self, charge_id: int) -> Charge:
        return await self._fetch(Charge, "GET", f"/charges/{charge_id}", "get-charge")

    async def list_charges(
        self,
        partner_external_id: str | None = None,
        state: str | None = None,
        from_updated: datetime | None = None,
        from_completed: datetime | None = None,
        to_completed: datetime | None = None,
        page: int = 0,
        per_page: int = MAX_PER_PAGE,
        charge_point_id: int | None = None,
    ) -> Page[Charge]:
        """`partner_external_id=""` asks Monta for charges without one (spec behaviour)."""
        params = _query(
            partnerExternalId=partner_external_id,
            state=state,
            fromUpdatedDate=from_updated,
            fromCompletedDate=from_completed,
            toCompletedDate=to_completed,
            chargePointId=charge_point_id,
            page=page,
            perPage=per_page,
        )
        return await self._fetch(Page[Charge], "GET", "/charges", "get-charges", params=params)

    async def iter_charges(
        self, *, max_pages: int | None = None, per_page: int = MAX_PER_PAGE, **filters: Any
    ) -> AsyncIterator[Charge]:
        """Every charge matching `filters` (list_charges keywords), page after page."""
        page = 0
        while max_pages is None or page < max_pages:
            result = await self.list_charges(page=page, per_page=per_page, **filters)
            for charge in result.data:
                yield charge
            if result.is_last:
                return
            page += 1

    async def stop_charge(self, charge_id: int) -> Charge:
        """`GET /charges/{id}/stop`: a GET with no body, per the spec."""
        return await self._fetch(Charge, "GET", f"/charges/{charge_id}/stop", "stop-charge")

    async def patch_charge(
        self,
        charge_id: int,
        *,
        generic_payment_session: GenericPaymentSession | None = None,
        partner_external_id: str | None = None,
        partner_custom_payload: dict[str, Any] | None = None,
    ) -> Charge:
        """PATCH overwrites `genericPaymentSession` as a whole: always send the full object."""
        body: dict[str, Any] = {}
        if generic_payment_session is not None:
            body["genericPaymentSession"] = generic_payment_session.to_wire()
        if partner_external_id is not None:
            body["partnerExternalId"] = partner_external_id
        if partner_custom_payload is not None:
            body["partnerCustomPayload"] = partner_custom_payload
        path = f"/charges/{charge_id}"
        return await self._fetch(Charge, "PATCH", path, "patch-charge", body=body)

    # ------------------------------------------------------------ wallet transactions
    async def list_wallet_transactions(
        self,
        reference_type: str | None = "CHARGE",
        reference_id: str | int | None = None,
        page: int = 0,
        per_page: int = MAX_PER_PAGE,
    ) -> Page[WalletTransaction]:
        params = _query(
            referenceType=reference_type, referenceId=reference_id, page=page, perPage=per_page
        )
        return await self._fetch(
            Page[WalletTransaction],
            "GET",
            "/wallet-transactions",
            "get-wallet-transactions",
            params=params,
        )

    # ------------------------------------------------------------ webhook config
    async def get_webhook_config(self) -> WebhookConfig | None:
        """None when no config exists (Monta answers 404)."""
        try:
            return await self._fetch(WebhookConfig, "GET", "/webhooks/config", "get-webhook-config")
        except MontaApiError as exc:
            if exc.http_status == 404:
                return None
            raise

    async def put_webhook_config(self, config: WebhookConfig) -> WebhookConfig:
        return await self._fetch(
            WebhookConfig,
            "PUT",
            "/webhooks/config",
            "update-webhook-config",
            body=config.to_wire(),
        )

    async def delete_webhook_config(self) -> None:
        await self._call("DELETE", "/webhooks/config", "delete-webhook-config")
