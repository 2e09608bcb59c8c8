"""The API's read-only view of the ledger: receipts and credit notes, off the event loop.

The API never writes or migrates the ledger (the session's activities write it, the worker
migrates it); a ledger it cannot read answers 503 `ledger_unavailable`, never a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.errors import ApiError
from ledger.db import make_engine
from ledger.receipts_store import authorization_of, read_correction, read_receipt
from ledger.refunds_store import credit_notes
from receipts.document import CreditNote, Receipt

log = logging.getLogger(__name__)
T = TypeVar("T")


class LedgerReader:
    def __init__(self, url: str) -> None:
        self._url = url
        self._engine: Engine | None = None

    def _get_engine(self) -> Engine:
        if self._engine is None:  # lazily: the API starts even before the ledger exists
            self._engine = make_engine(self._url)
        return self._engine

    async def _run(self, call: Callable[[Engine], T]) -> T:
        try:
            return await asyncio.to_thread(call, self._get_engine())
        except SQLAlchemyError as exc:
            log.warning("ledger read failed: %r", exc)  # the detail stays in the log
            raise ApiError(503, "ledger_unavailable", "the ledger cannot be read") from exc

    async def receipt(self, session_id: str) -> Receipt | None:
        return await self._run(lambda engine: read_receipt(engine, session_id))

    async def correction(self, session_id: str) -> Receipt | None:
        return await self._run(lambda engine: read_correction(engine, session_id))

    async def authorization(self, session_id: str) -> str | None:
        return await self._run(lambda engine: authorization_of(engine, session_id))

    async def credit_notes(self, session_id: str) -> list[CreditNote]:
        return await self._run(lambda engine: credit_notes(engine, session_id))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
