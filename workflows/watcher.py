"""MontaWatcherWorkflow: one per Monta credential, the fallback feed when webhooks are quiet.

Each tick: count open sessions of the operator (visibility, no Monta call); if any, read
`GET /charges?fromUpdatedDate=<newest seen - overlap>` page by page (one rate-limited
activity per page, so the cost is per interval, not per session) and signal each of our
charges that moved to its session with the same `charge_updated` signal webhooks use.
Decisions are in watcher_logic.py. Continue-as-new keeps the history short.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import contracts as c
    from workflows import watcher_logic as w
    from workflows.retry_policies import LOCAL_WORK_RETRY, MONTA_RETRY

CALL_TIMEOUT = timedelta(seconds=30)
MIN_SLEEP = timedelta(milliseconds=10)


@workflow.defn(name=w.WATCHER_WORKFLOW)
class MontaWatcherWorkflow:
    @workflow.init
    def __init__(self, cfg: w.WatcherConfig, state: w.WatcherState | None = None) -> None:
        self.cfg = w.WatcherConfig.model_validate(cfg)
        self.s = w.WatcherState.model_validate(state) if state is not None else w.WatcherState()
        self.open_sessions = 0
        self.mode: w.Mode = "idle"
        self.wait = self.cfg.wall(self.cfg.interval_s)

    @workflow.signal(name=w.SIGNAL_WEBHOOK_SEEN)
    def webhook_seen(self, at: datetime | None = None) -> None:
        self.s = self.s.model_copy(update={"last_webhook_at": workflow.now()})

    @workflow.query(name=w.QUERY_WATCHER_STATUS)
    def status(self) -> w.WatcherStatus:
        return w.WatcherStatus(
            operator=self.cfg.operator,
            mode=self.mode,
            interval_s=self.wait.total_seconds(),
            open_sessions=self.open_sessions,
            polls=self.s.polls,
            requests=self.s.requests,
            signals=self.s.signals,
            cursor=self.s.cursor,
            last_webhook_at=self.s.last_webhook_at,
        )

    @workflow.run
    async def run(self, cfg: w.WatcherConfig, state: w.WatcherState | None = None) -> None:
        polls_this_run = 0
        while True:
            tick = workflow.now()
            self.open_sessions = await workflow.execute_activity(
                w.WATCHER_OPEN_SESSIONS,
                self.cfg.operator,
                start_to_close_timeout=CALL_TIMEOUT,
                retry_policy=LOCAL_WORK_RETRY,
                result_type=int,
                summary="count open sessions",
            )
            if self.open_sessions > 0:
                await self._poll()
                polls_this_run += 1
            now = workflow.now()
            self.mode, self.wait = w.choose_mode(
                self.open_sessions,
                self.s.seen,
                self.s.last_webhook_at,
                now,
                self.cfg,
            )
            self._publish()
            # A fixed cadence: the poll's own duration counts towards the interval.
            rest = max(self.wait - (workflow.now() - tick), MIN_SLEEP)
            await workflow.sleep(rest, summary=f"{self.mode} interval")
            if (
                polls_this_run >= self.cfg.continue_as_new_after_polls
                or workflow.info().is_continue_as_new_suggested()
            ):
                await workflow.wait_condition(workflow.all_handlers_finished)
                self.s = self.s.model_copy(update={"runs": self.s.runs + 1})
                workflow.continue_as_new(args=[self.cfg, self.s])

    async def _poll(self) -> None:
        since = w.read_from(self.s.cursor, workflow.now(), self.cfg)
        snaps: list[c.ChargeSnapshot] = []
        newest = None
        requests = 0
        for page_no in range(self.cfg.max_pages):
            try:
                page = await workflow.execute_activity(
                    w.MONTA_CHARGES_PAGE,
                    w.ChargesPageInput(
                        operator=self.cfg.operator, page=page_no, from_updated=since
                    ),
                    task_queue=self.cfg.monta_task_queue,
                    start_to_close_timeout=CALL_TIMEOUT,
                    retry_policy=MONTA_RETRY,
                    result_type=w.ChargesPage,
                    summary=f"charges updated since {since:%H:%M:%S}, page {page_no}",
                )
            except ActivityError as exc:
                workflow.logger.warning("watcher poll failed: %s", exc.cause or exc)
                break  # keep the cursor: the next tick reads the same span again
            requests += 1
            snaps.extend(page.charges)
            newest = w.advance_cursor(newest, page.newest_updated_at)
            if page.is_last:
                break
        flowing = w.webhooks_flowing(self.s.last_webhook_at, workflow.now(), self.cfg)
        fresh = w.to_signal(
            self.s.seen,
            snaps,
            flowing,
            self.cfg.near_budget_ratio,
            self.cfg.webhook_band_ratio,
            self.cfg.wall(self.cfg.start_timeout_s),
        )
        signaled = 0
        if fresh:
            result = await workflow.execute_activity(
                w.WATCHER_SIGNAL_SESSIONS,
                w.SignalBatch(snapshots=fresh),
                start_to_close_timeout=CALL_TIMEOUT,
                retry_policy=LOCAL_WORK_RETRY,
                result_type=w.SignalResult,
                summary=f"signal {len(fresh)} sessions",
            )
            signaled = result.signaled
        cursor = w.advance_cursor(self.s.cursor, newest)
        forget = w.read_from(cursor, workflow.now(), self.cfg)
        self.s = self.s.model_copy(
            update={
                "cursor": cursor,
                "seen": w.remember(self.s.seen, snaps, self.cfg.near_budget_ratio, forget),
                "polls": self.s.polls + 1,
                "requests": self.s.requests + requests,
                "signals": self.s.signals + signaled,
            }
        )

    def _publish(self) -> None:
        s = self.s
        workflow.set_current_details(
            f"operator **{self.cfg.operator}** · mode **{self.mode}** · next poll in "
            f"{self.wait.total_seconds():.1f} s · open sessions {self.open_sessions} · "
            f"polls {s.polls} · Monta requests {s.requests} · signals {s.signals}"
        )
