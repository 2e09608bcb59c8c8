"""Every request body is capped before anything reads it, authentication included: an
unauthenticated 100 MB POST must not grow the API's memory. Pure ASGI, so the cap holds for
chunked bodies too. Routes that take larger bodies by design (Monta's webhook batches, the
codec's payloads) get their own cap here as well as in their handlers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
App = Callable[[Scope, Receive, Send], Any]


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: App, default: int, by_prefix: Mapping[str, int]) -> None:
        self._app = app
        self._default = default
        self._by_prefix = dict(by_prefix)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self._by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self._app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await _too_large(send, limit)
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message: Message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": "payload_too_large", "message": f"body above {limit} bytes", "details": None}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
