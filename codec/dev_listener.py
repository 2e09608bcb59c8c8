"""`python -m codec.dev_listener --port P`: the dev stack's codec endpoint for its Temporal UI.

The dev server's UI calls its codec endpoint from the browser with no credential of its own
(in production it passes the user's OIDC access token, codec/oidc.py). This listener, bound
to loopback and started only by `make dev`, serves the API's own codec routes and presents
the dev stack's operator token on the browser's behalf. Whoever can reach it could read the
keys under .data/ anyway; production never runs it (the compose stack's codec is the API's).
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from codec.auth import split_list
from codec.converter import CodecSettings
from codec.wiring import codec_router_from_env

LOOPBACK = "127.0.0.1"


def create_app(settings: CodecSettings) -> FastAPI:
    router = codec_router_from_env(settings)
    tokens = split_list(settings.codec_auth_token)
    if router is None or not tokens:
        raise SystemExit("the dev codec listener needs CHARGEPAY_CODEC_KEYS and _AUTH_TOKEN")
    bearer = f"Bearer {tokens[0]}".encode()

    async def present_token(request: Request, call_next: RequestResponseEndpoint) -> Response:
        headers = [(k, v) for k, v in request.scope["headers"] if k != b"authorization"]
        request.scope["headers"] = [*headers, (b"authorization", bearer)]
        return await call_next(request)

    app = FastAPI(title="chargepay dev codec", openapi_url=None, docs_url=None)
    app.add_middleware(BaseHTTPMiddleware, dispatch=present_token)
    app.include_router(router)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m codec.dev_listener")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(CodecSettings()), host=LOOPBACK, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
