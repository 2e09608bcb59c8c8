"""`python -m api [--host H] [--port P]`: serve the API with uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from api.main import create_app
from core.gc_freeze import freeze_startup_objects
from observability.logging import uvicorn_log_config
from observability.wiring import setup_api_logging, start_api_metrics
from settings import Settings, get_settings


def server_options(settings: Settings) -> dict[str, Any]:
    """What uvicorn is told beyond host and port: forwarded headers only from the configured
    proxies, a bound on concurrent connections, and no `Server` header naming the stack."""
    trusted = settings.api_trusted_proxies.strip()
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "limit_concurrency": settings.api_limit_concurrency,
        "server_header": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api")
    settings = get_settings()
    parser.add_argument("--host", default=settings.api_host)
    parser.add_argument("--port", type=int, default=settings.api_port)
    args = parser.parse_args()
    setup_api_logging()  # JSON lines (CHARGEPAY_LOG_FORMAT), card numbers masked
    app = create_app(settings)
    start_api_metrics()  # a daemon thread, on its own port: never the public one
    freeze_startup_objects()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=uvicorn_log_config(),
        **server_options(settings),
    )


if __name__ == "__main__":
    main()
