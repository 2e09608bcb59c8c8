"""Temporal's codec server protocol, as a FastAPI router the API mounts.

The Temporal UI (TEMPORAL_CODEC_ENDPOINT=<api>/codec) POSTs `{"payloads": [...]}` (proto
JSON: base64 metadata values and data) to `/codec/decode` to show histories and to
`/codec/encode` when an operator sends a signal; the browser calls it directly, hence CORS.
Every call needs an operator bearer token (codec/auth.py): decryption is a privilege.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from codec.aes_gcm import PayloadDecryptionError
from codec.auth import TokenVerifier, bearer_token

log = logging.getLogger(__name__)

# Temporal refuses payloads above 2 MB; base64 and JSON add about a third.
MAX_BODY_BYTES = 4 * 1024 * 1024
_ALLOWED_HEADERS = "authorization,content-type,x-namespace"

CodecOp = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def parse_payloads(body: bytes) -> Payloads | str:
    """The request's payloads, or why they are not a `{"payloads": [...]}` document."""
    try:
        doc = json.loads(body)
    except ValueError:
        return "body is not JSON"
    # Protobuf's JSON leaves an empty list out: the temporal CLI sends `{}` for a query
    # with no arguments, and that is a document with no payloads, not a bad one.
    if not isinstance(doc, dict) or not isinstance(doc.get("payloads") or [], list):
        return 'expected {"payloads": [...]}'
    try:
        return json_format.ParseDict(doc, Payloads(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        return str(exc)[:200]


def build_codec_router(
    codec: PayloadCodec,
    *,
    verifier: TokenVerifier | None,
    cors_origins: Sequence[str],
    prefix: str = "/codec",
) -> APIRouter:
    """Routes `POST {prefix}/encode|decode` and their CORS preflights.

    `verifier=None` means no operator credential is configured: every call is refused (503)
    rather than left open.
    """
    origins = frozenset(cors_origins)
    router = APIRouter(prefix=prefix, tags=["codec"])

    def cors_headers(request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if origin is None or origin not in origins:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    def error(request: Request, status: int, code: str, detail: str) -> JSONResponse:
        headers = cors_headers(request)
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)

    async def apply(request: Request, op: CodecOp) -> Response:
        if verifier is None:
            return error(request, 503, "codec_auth_not_configured", "no operator token is set")
        token = bearer_token(request.headers.get("authorization"))
        if token is None or not await verifier(token):
            return error(request, 401, "unauthorized", "a valid operator bearer token is required")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return error(request, 413, "body_too_large", f"limit is {MAX_BODY_BYTES} bytes")
        payloads = parse_payloads(body)
        if isinstance(payloads, str):
            return error(request, 400, "invalid_payloads", payloads)
        try:
            result = await op(list(payloads.payloads))
        except PayloadDecryptionError as exc:
            log.warning("codec server could not open a payload: %s", exc)
            return error(request, 422, "decryption_failed", str(exc))
        content = json_format.MessageToDict(Payloads(payloads=result))
        content.setdefault("payloads", [])
        return JSONResponse(content, headers=cors_headers(request))

    @router.post("/encode")
    async def encode(request: Request) -> Response:
        return await apply(request, codec.encode)

    @router.post("/decode")
    async def decode(request: Request) -> Response:
        return await apply(request, codec.decode)

    @router.options("/encode")
    @router.options("/decode")
    async def preflight(request: Request) -> Response:
        return Response(status_code=204, headers=cors_headers(request))

    return router
