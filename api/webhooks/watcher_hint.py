"""For the API's webhook route: tell the operator's watcher that webhooks flow, at most
once per `every_s` wall seconds per operator (the watcher then polls at its slow interval).

    notifier = WebhookSeenNotifier.from_settings(client, settings)
    await notifier.seen(operator)   # after a verified batch; a missing watcher only logs
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from temporalio.client import Client
from temporalio.service import RPCError

from settings import Settings
from workflows.watcher_logic import SIGNAL_WEBHOOK_SEEN, watcher_workflow_id

log = logging.getLogger(__name__)

HINT_EVERY_S = 5.0  # wall seconds between hints per operator, at most


class WebhookSeenNotifier:
    def __init__(
        self, client: Client, every_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.every_s = every_s
        self._clock = clock
        self._last: dict[str, float] = {}

    @classmethod
    def from_settings(cls, client: Client, settings: Settings) -> WebhookSeenNotifier:
        # Several hints per silence window, or at high time scales the watcher would read
        # flowing webhooks as silent between two hints and poll fast.
        silence_s = settings.clock.wall_seconds(settings.watcher_webhook_silence_s)
        return cls(client, every_s=min(HINT_EVERY_S, silence_s / 4))

    async def seen(self, operator: str) -> bool:
        """True when a signal was sent; a missing watcher only logs (polling goes on)."""
        now = self._clock()
        last = self._last.get(operator)
        if last is not None and now - last < self.every_s:
            return False
        self._last[operator] = now
        try:
            await self.client.get_workflow_handle(watcher_workflow_id(operator)).signal(
                SIGNAL_WEBHOOK_SEEN
            )
        except RPCError as exc:
            log.warning("watcher of %s not told about webhooks: %s", operator, exc)
            return False
        return True
