"""The running stack as the bench sees it: URLs, a Temporal client, HTTP, keys, secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import httpx
from temporalio.client import Client

from api.keys import create_key
from codec.converter import build_data_converter
from devstack.stack import Stack

if TYPE_CHECKING:
    from bench.features import Features

HTTP_TIMEOUT_S = 60.0
BENCH_OPERATOR = "alpha"
CHARGEPAY_CLIENT_ID = "alpha-client"
# The bench reads Monta with another credential: its calls never count as chargepay's.
READER = ("limited-client", "limited-secret-change-me")
CARD = {"number": "4242424242424242", "brand": "VISA", "last4": "4242"}


@dataclass
class BenchContext:
    stack: Stack
    temporal: Client
    http: httpx.AsyncClient
    keys: dict[str, str] = field(default_factory=dict)  # terminal -> API key
    features: Features | None = None  # incremental authorization and idle fees on

    @classmethod
    async def connect(cls, stack: Stack, features: Features | None = None) -> BenchContext:
        env = stack.chargepay_env()
        converter = build_data_converter(
            SimpleNamespace(codec_keys=env.get("CHARGEPAY_CODEC_KEYS", ""))
        )
        temporal = await Client.connect(stack.temporal_address, data_converter=converter)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, limits=limits)
        return cls(stack, temporal, http, features=features)

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def env(self) -> dict[str, str]:
        return self.stack.chargepay_env()

    @property
    def session_queue(self) -> str:
        return self.stack.config.task_queue

    @property
    def webhook_secret(self) -> str:
        return self.env[f"CHARGEPAY_{BENCH_OPERATOR.upper()}_WEBHOOK_SECRETS"].split(",")[0]

    @property
    def signal_concurrency(self) -> int:
        return int(self.env.get("CHARGEPAY_WEBHOOK_SIGNAL_CONCURRENCY", "32"))

    @property
    def stop_latency_s(self) -> float:
        return float(self.env.get("CHARGEPAY_STOP_DELIVERY_LATENCY_S", "15"))

    @property
    def money_unit(self) -> str:
        return self.env.get("CHARGEPAY_MONTA_MONEY_UNIT", "major")

    def key_for(self, terminal: str, points: list[int]) -> str:
        if terminal not in self.keys:
            _, key = create_key(self.stack.config.keys_file, BENCH_OPERATOR, terminal, points)
            self.keys[terminal] = key
        return self.keys[terminal]

    async def json(self, method: str, url: str, **kw: Any) -> Any:
        resp = await self.http.request(method, url, **kw)
        resp.raise_for_status()
        return resp.json()

    async def monta_truth(self) -> Any:
        return await self.json("GET", f"{self.stack.monta_url}/_emulator/truth")

    async def acquirer_truth(self) -> Any:
        return await self.json("GET", f"{self.stack.payments_url}/_emulator/truth")

    async def reader_token(self) -> str:
        body = {"clientId": READER[0], "clientSecret": READER[1]}
        data = await self.json("POST", f"{self.stack.monta_url}/api/v1/auth/token", json=body)
        return str(data["accessToken"])


def api_metrics_urls(ctx: BenchContext) -> list[str]:
    """Every API replica's /metrics (each counts only its own requests)."""
    return ctx.stack.api_metrics_urls
