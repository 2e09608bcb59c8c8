"""The tariff cache of one operator: charge points from the paged listing, price groups by id.

A session needs its charge point (availability, price group) and that group's prices. Read
one by one that is two requests per session even when every session uses another point, so:
charge points come from `GET /charge-points` page after page, refreshed at most once per TTL
(N sessions on N points cost O(pages)); price groups are cached by id for the TTL. A point
missing from the listing, or listed as unavailable (availability changes, a cached "busy"
must not refuse a start), is read on its own. Concurrent callers share one refresh and one
read per price group (activities of a worker run on one event loop).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from decimal import Decimal

from temporalio.exceptions import ApplicationError

from activities.monta.client import MontaClient
from activities.monta.convert import TariffUnreadable, charge_point_info, tariff_from_price_group
from activities.monta.error_mapping import charge_point_unavailable
from activities.monta.errors import MontaApiError, MontaError
from workflows.contracts import ChargePointInfo, Tariff, TariffQuote

log = logging.getLogger(__name__)

ERR_TARIFF_UNAVAILABLE = "TariffUnavailable"  # no Monta price group and no local tariff
LISTING_FAILED_RETRY_SHARE = 0.1  # a failed listing is tried again after TTL * this
LocalTariffs = Callable[[int], Tariff | None]


class TariffCache:
    def __init__(
        self,
        client: MontaClient,
        ttl_s: float,
        *,
        local_tariffs: LocalTariffs | None = None,
        vat_rate: Decimal | None = None,
        page_size: int = 100,
        max_pages: int = 20,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._ttl = ttl_s
        self._local = local_tariffs
        self._vat_rate = vat_rate
        self._page_size = page_size
        self._max_pages = max_pages
        self._now = monotonic
        self._points: dict[int, ChargePointInfo] = {}
        self._points_until = float("-inf")
        self._points_lock = asyncio.Lock()
        self._singles: dict[int, tuple[float, ChargePointInfo]] = {}
        self._groups: dict[int, tuple[float, Tariff]] = {}
        self._group_locks: dict[int, asyncio.Lock] = {}

    async def quote(self, charge_point_id: int) -> TariffQuote:
        """Raises MontaError (the caller maps it) or a non-retryable ApplicationError."""
        info = await self._point(charge_point_id)
        return TariffQuote(charge_point=info, tariff=await self._tariff_for(info))

    # ------------------------------------------------------------ charge points
    async def _point(self, charge_point_id: int) -> ChargePointInfo:
        await self._refresh_listing()
        listed = self._points.get(charge_point_id)
        if listed is not None and listed.available:
            return listed
        single = self._singles.get(charge_point_id)
        if single is not None and self._now() < single[0] and single[1].available:
            return single[1]
        info = await self._read_point(charge_point_id)
        self._singles[charge_point_id] = (self._now() + self._ttl, info)
        return info

    async def _refresh_listing(self) -> None:
        if self._now() < self._points_until:
            return
        async with self._points_lock:
            if self._now() < self._points_until:  # another caller refreshed it meanwhile
                return
            points: dict[int, ChargePointInfo] = {}
            until = self._now() + self._ttl
            try:
                for page_no in range(self._max_pages):
                    page = await self.client.list_charge_points(
                        page=page_no, per_page=self._page_size
                    )
                    points.update((cp.id, charge_point_info(cp)) for cp in page.data)
                    if page.is_last:
                        break
            except MontaError as exc:
                # No charge-points:read listing (or Monta trouble): single reads still work.
                log.warning("charge point listing of %s failed: %s", self.client.operator, exc)
                until = self._now() + self._ttl * LISTING_FAILED_RETRY_SHARE
            self._points, self._points_until = points, until
            self._singles.clear()  # the fresh listing supersedes single reads

    async def _read_point(self, charge_point_id: int) -> ChargePointInfo:
        try:
            return charge_point_info(await self.client.get_charge_point(charge_point_id))
        except MontaApiError as exc:
            if exc.http_status == 404:
                raise charge_point_unavailable(exc) from exc
            if exc.http_status != 403 or self._local is None:
                raise
            # No charge-points:read scope: Monta will judge availability at start.
            return ChargePointInfo(id=charge_point_id, state="unknown", available=True)

    # ------------------------------------------------------------ price groups
    async def _tariff_for(self, info: ChargePointInfo) -> Tariff:
        problem = "it has no price group"
        if info.price_group_id is not None:
            try:
                return await self._group(info.price_group_id)
            except MontaApiError as exc:
                if exc.http_status not in (403, 404):
                    raise
                problem = f"price group {info.price_group_id}: {exc}"
            except TariffUnreadable as exc:
                problem = str(exc)
        local = self._local(info.id) if self._local else None
        if local is not None:
            return local
        raise ApplicationError(
            f"no tariff for charge point {info.id}: {problem}",
            "NO_TARIFF",
            type=ERR_TARIFF_UNAVAILABLE,
            non_retryable=True,
        )

    async def _group(self, group_id: int) -> Tariff:
        cached = self._groups.get(group_id)
        if cached is not None and self._now() < cached[0]:
            return cached[1]
        lock = self._group_locks.setdefault(group_id, asyncio.Lock())
        async with lock:
            cached = self._groups.get(group_id)
            if cached is not None and self._now() < cached[0]:
                return cached[1]
            group = await self.client.get_price_group(group_id)
            tariff = tariff_from_price_group(group, vat_rate=self._vat_rate)
            self._groups[group_id] = (self._now() + self._ttl, tariff)
            return tariff
