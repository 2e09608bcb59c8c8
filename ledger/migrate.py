"""Alembic, driven from code: `python -m ledger upgrade` (or `current`, `downgrade`).

No alembic.ini: the script location is this package's `migrations/` and the URL is the
ledger's setting (`CHARGEPAY_LEDGER_URL`), so one command works in dev, CI and compose.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # env.py uses this engine's connection rather than building its own from a URL string
    # (a password in a URL must not pass through ConfigParser's interpolation).
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
