"""`python -m emulators.payments --port N`: run the card acquirer emulator."""

from __future__ import annotations

import argparse

import uvicorn

from emulators.payments.app import create_app
from emulators.payments.config import EmulatorConfig


def main() -> None:
    parser = argparse.ArgumentParser(description="chargepay card acquirer emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    args = parser.parse_args()
    app = create_app(EmulatorConfig.from_env())
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
