"""`python -m emulators.monta --port PORT [--host 127.0.0.1]` (settings from the env)."""

from __future__ import annotations

import argparse

import uvicorn

from emulators.monta.app import create_app
from emulators.monta.config import EmuConfig


def main() -> None:
    parser = argparse.ArgumentParser(description="Monta Partner API emulator")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    app = create_app(EmuConfig.from_env())
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
