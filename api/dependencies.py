"""What routes get injected: settings, the Temporal client, operators, the caller's scope."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from api.errors import ApiError
from api.keystore import KeyStore
from api.ledger_reads import LedgerReader
from api.quotes import QuoteService
from api.webhooks.sender import SignalSender
from api.webhooks.watcher_hint import WebhookSeenNotifier
from core.operators import Operator
from settings import Settings


@dataclass
class AppState:
    """Everything the app holds for its lifetime (on `app.state.chargepay`). What it keeps
    beyond settings is an optimisation (a tariff cache, the coalescing ledger): losing it
    costs extra reads and signals, never a wrong outcome."""

    settings: Settings
    operators: dict[str, Operator]
    keys: KeyStore
    quotes: QuoteService  # quotes and starts share its tariff cache
    ledger: LedgerReader  # receipts and credit notes, read-only
    # Receipt PDFs take ~0.1-1 s of CPU each: a few at a time per process, so a burst cannot
    # starve the API (per app, so the semaphore never meets another event loop).
    pdf_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    # Set together by `attach` once there is a Temporal client (the lifespan connects
    # lazily), cleared together by `detach`.
    temporal: Client | None = None
    signals: SignalSender | None = None
    watcher_hint: WebhookSeenNotifier | None = None

    def attach(self, client: Client) -> None:
        self.temporal = client
        self.signals = SignalSender.from_settings(client, self.settings)
        self.watcher_hint = WebhookSeenNotifier.from_settings(client, self.settings)

    def detach(self) -> None:
        self.temporal = self.signals = self.watcher_hint = None


def app_state(request: Request) -> AppState:
    state = request.app.state.chargepay
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(app_state)]


def temporal_client(state: State) -> Client:
    if state.temporal is None:
        raise ApiError(503, "temporal_unavailable", "not connected to Temporal yet")
    return state.temporal


Temporal = Annotated[Client, Depends(temporal_client)]


def signal_sender(state: State) -> SignalSender:
    if state.signals is None:
        raise ApiError(503, "temporal_unavailable", "not connected to Temporal yet")
    return state.signals


Signals = Annotated[SignalSender, Depends(signal_sender)]


def operator_of(state: AppState, key: str) -> Operator:
    operator = state.operators.get(key)
    if operator is None:
        raise ApiError(404, "operator_unknown", f"no operator {key!r} is configured")
    return operator


def require_hold_within_limit(operator: Operator, amount_minor: int) -> None:
    """The operator's `max_hold_minor` (config/operators.toml): a larger hold is a 422."""
    if amount_minor > operator.max_hold_minor:
        raise ApiError(
            422,
            "amount_too_large",
            f"a hold may be at most {operator.max_hold_minor} minor units for this operator",
            {"max_amount_minor": operator.max_hold_minor},
        )
