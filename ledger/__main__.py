"""`python -m ledger upgrade|current|downgrade REV`: the ledger's migrations (Alembic)."""

from __future__ import annotations

import argparse

from alembic import command

from ledger.db import make_engine
from ledger.migrate import alembic_config, downgrade, upgrade
from settings import get_settings


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m ledger", description=__doc__)
    p.add_argument("action", choices=["upgrade", "current", "downgrade"])
    p.add_argument("revision", nargs="?", default="head")
    args = p.parse_args()
    engine = make_engine(get_settings().ledger_url)
    try:
        if args.action == "upgrade":
            upgrade(engine, args.revision)
        elif args.action == "downgrade":
            downgrade(engine, args.revision)
        else:
            command.current(alembic_config(engine))
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
