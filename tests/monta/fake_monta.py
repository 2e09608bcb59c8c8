"""A tiny in-process stand-in for Monta's HTTP surface (httpx.MockTransport), for unit tests
of the client's own logic: headers, token handling, query rendering, body parsing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

Route = Callable[[httpx.Request], httpx.Response]


def charge_json(charge_id: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": charge_id,
        "state": "charging",
        "chargePointId": 101,
        "createdAt": "2024-05-01T10:00:00Z",
        "updatedAt": "2024-05-01T10:05:00.123456789Z",
        "consumedKwh": 3.25,
        "kwhLimit": 20,
        "price": 12.4,
        "currency": {"identifier": "dkk", "name": "Danish krone", "decimals": 2},
        "partnerExternalId": f"session-alpha-t1-{charge_id}",
        "type": "operator",
        "kwhPerHour": [],
    }
    body.update(overrides)
    return body


def page_json(items: list[Any], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {
        "data": items,
        "meta": {
            "itemCount": len(items),
            "currentPage": page,
            "perPage": per_page,
            "totalPageCount": (total + per_page - 1) // per_page,
            "totalItemCount": total,
        },
    }


def error(
    status: int, code: str, headers: dict[str, str] | None = None, **extra: Any
) -> httpx.Response:
    return httpx.Response(
        status,
        json={"status": "X", "message": code.lower(), "errorCode": code, **extra},
        headers=headers,
    )


@dataclass
class FakeMonta:
    """Issues tokens valid for `ttl`; routes map "METHOD /path" to a handler."""

    now: datetime = field(default_factory=lambda: datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    ttl: timedelta = timedelta(hours=1)
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    issued: int = 0
    logins: int = 0
    refreshes: int = 0
    refuse_refresh: bool = False
    valid_tokens: set[str] = field(default_factory=set)

    def clock(self) -> datetime:
        return self.now

    def _token(self) -> httpx.Response:
        self.issued += 1
        access = f"access-{self.issued}"
        self.valid_tokens.add(access)
        return httpx.Response(
            200,
            json={
                "accessToken": access,
                "refreshToken": f"refresh-{self.issued}",
                "accessTokenExpirationDate": (self.now + self.ttl).isoformat(),
                "refreshTokenExpirationDate": (self.now + timedelta(days=1)).isoformat(),
            },
        )

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/api/v1")
        if path.startswith("/auth/"):
            await asyncio.sleep(0.01)  # let concurrent callers pile up behind the lock
        if path == "/auth/token":
            self.logins += 1
            return self._token()
        if path == "/auth/refresh":
            if self.refuse_refresh:
                return error(401, "INVALID_ACCESS_TOKEN")
            self.refreshes += 1
            body = json.loads(request.content)
            assert body["refreshToken"] == f"refresh-{self.issued}", "refresh token reused"
            return self._token()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            return error(401, "INVALID_ACCESS_TOKEN")
        route = self.routes.get(f"{request.method} {path}")
        if route is None:
            return error(404, "RESOURCE_NOT_FOUND")
        return route(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if "/auth/" not in r.url.path]
