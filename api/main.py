"""The FastAPI app: `create_app(settings, temporal_client=None)`; OpenAPI at /docs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from temporalio.client import Client
from temporalio.service import RetryConfig

from api.body_limit import BodyLimit
from api.dependencies import AppState
from api.errors import install_error_handlers
from api.increment_lead import increment_lead_warning
from api.keystore import KeyStore
from api.ledger_reads import LedgerReader
from api.quotes import QuoteService
from api.retention import RetentionTooShort, check_retention
from api.routers import health, operator, quotes, receipts, refunds, sessions
from api.webhooks import router as webhooks
from codec.converter import build_data_converter
from codec.server import MAX_BODY_BYTES as CODEC_MAX_BODY_BYTES
from codec.wiring import codec_router_from_env
from core.operators import load_operators
from observability.wiring import instrument_api
from settings import Settings, get_settings

log = logging.getLogger(__name__)


# Retry an unreachable Temporal briefly, then answer 503: terminals retry with the same
# body, and Monta redelivers a webhook batch; a webhook must answer within Monta's timeout.
API_RETRY = RetryConfig(max_elapsed_time_millis=1500, max_retries=4, max_interval_millis=500)


async def connect_temporal(settings: Settings, interceptors: Sequence[Any] = ()) -> Client:
    """Lazy: the API starts (and /healthz answers) even while Temporal is still down."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=build_data_converter(settings),
        retry_config=API_RETRY,
        interceptors=list(interceptors),
        lazy=True,
    )


async def _startup_checks(state: AppState) -> None:
    assert state.temporal is not None
    s = state.settings
    if (warning := increment_lead_warning(s, state.operators)) is not None:
        log.warning(warning)
    try:
        await check_retention(state.temporal, s.terminal_retry_horizon_s, s.api_retention_check)
    except RetentionTooShort:
        raise
    except Exception as exc:  # Temporal not up yet: the API still serves webhooks with 503
        log.warning("could not check namespace retention: %s", exc)


def create_app(settings: Settings | None = None, temporal_client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()
    state = AppState(
        settings=settings,
        operators=load_operators(settings.operators_file),
        keys=KeyStore(settings.terminal_keys_file),
        quotes=QuoteService(settings),
        ledger=LedgerReader(settings.ledger_url),
    )
    if temporal_client is not None:
        state.attach(temporal_client)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        owned = state.temporal is None
        if owned:
            state.attach(await connect_temporal(settings, client_interceptors))
        await _startup_checks(state)
        try:
            yield
        finally:
            await state.quotes.aclose()
            state.ledger.close()
            if owned:
                state.detach()

    app = FastAPI(
        title="chargepay",
        version="1",
        description=(
            "Paid EV charging sessions for payment terminals on Monta's Partner API. "
            "Every error answers `{error, message, details}` with a stable `error` code."
        ),
        lifespan=lifespan,
    )
    app.state.chargepay = state
    # With tracing configured, FastAPI spans and the client's tracing interceptor. /metrics is
    # not a route here: `python -m api` serves it on its own listener.
    client_interceptors = instrument_api(app)
    app.add_middleware(
        BodyLimit,
        default=settings.api_max_body_bytes,
        by_prefix={
            "/v1/webhooks/": settings.webhook_max_body_bytes,
            "/codec/": CODEC_MAX_BODY_BYTES,
        },
    )
    install_error_handlers(app)
    routers = (
        sessions.router,
        receipts.router,
        refunds.router,
        operator.router,
        quotes.router,
        webhooks.router,
        health.router,
    )
    for router in routers:
        app.include_router(router)
    codec = codec_router_from_env()  # /codec for the Temporal UI, when CHARGEPAY_CODEC_KEYS is set
    if codec is not None:
        app.include_router(codec)
    return app
