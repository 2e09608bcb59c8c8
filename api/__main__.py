"""`python -m api [--host H] [--port P]`: serve the API with uvicorn."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from api.main import create_app
from settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api")
    settings = get_settings()
    parser.add_argument("--host", default=settings.api_host)
    parser.add_argument("--port", type=int, default=settings.api_port)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
