"""ReconciliationWorkflow: for one operator and a time window, read Monta's completed charges
(ours, by partnerExternalId) and their wallet transactions, the sessions' outcomes and the
acquirer's holds; report every mismatch (reconciliation_logic.py), void orphan holds unless
told to only report, write a JSON + CSV file, and leave a summary in the UI's details.

The acquirer's holds are every operator's, so whether a hold is live is asked of the running
sessions of every operator (`reconcile_live_holds`), after the holds were read: a session
seen live then either still holds its hold or has settled it (a void then fails harmlessly).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import contracts as c
    from workflows import reconciliation_holds as h
    from workflows import reconciliation_logic as r
    from workflows import reconciliation_models as models
    from workflows import reconciliation_refunds as rf
    from workflows import watcher_logic as w
    from workflows.retry_policies import MONTA_RETRY

T = TypeVar("T")
TIMEOUT = timedelta(minutes=2)
MAX_PAGES = 1000


@workflow.defn(name=models.RECONCILIATION_WORKFLOW)
class ReconciliationWorkflow:
    def __init__(self) -> None:
        self.monta_requests = 0

    @workflow.run
    async def run(self, inp: models.ReconcileInput) -> models.ReconcileReport:
        inp = models.ReconcileInput.model_validate(inp)
        now = workflow.now()
        to = inp.window_to or now
        start = inp.window_from or to - timedelta(seconds=inp.window_s / inp.time_scale)
        workflow.set_current_details(f"reconciling {inp.operator} {start} → {to}")
        charges = await self._charges(inp, start, to)
        wallet = await self._wallet(inp, start, to)
        # Sessions that own a charge of the window started before it: look a window back.
        sessions = await self._call(
            models.RECONCILE_SESSIONS,
            models.SessionsInput(
                operator=inp.operator,
                started_after=start - (to - start),
                ids=sorted({ch.partner_external_id or "" for ch in charges}),
            ),
            list[models.SessionOutcome],
            "sessions' outcomes",
        )
        for sid in r.sessions_missing_charges(sessions, charges, start):
            charges += await self._charges(inp, start, to, partner_external_id=sid)
        holds = await self._call(
            models.RECONCILE_HOLDS,
            models.HoldsInput(created_after=start - (to - start)),
            list[models.HoldRecord],
            "acquirer holds",
        )
        hold_grace = timedelta(seconds=inp.hold_grace_s / inp.time_scale)
        live = await self._live_holds(holds, hold_grace)
        ledger_refunded = None
        if refunded := rf.refunded_holds(holds):  # only then: refunds are the ledger's to say
            ledger_refunded = await self._call(
                models.RECONCILE_LEDGER_REFUNDS, refunded, dict[str, int], "the ledger's refunds"
            )
        facts = models.Facts(
            charges=w.newest_per_charge(charges),
            wallet=wallet,
            sessions=sessions,
            holds=holds,
            live=live,
            now=workflow.now(),
            hold_grace=hold_grace,
            judge_sessions_closed_after=start,
            ledger_refunded=ledger_refunded,
        )
        mismatches = [await self._act_on(m, inp) for m in r.find_mismatches(facts)]
        report = models.ReconcileReport(
            operator=inp.operator,
            window_from=start,
            window_to=to,
            generated_at=workflow.now(),
            charges=len(facts.charges),
            wallet_transactions=len(wallet),
            sessions=len(sessions),
            holds=len(holds),
            monta_requests=self.monta_requests,
            mismatches=mismatches,
        )
        files = await self._call(
            models.RECONCILE_WRITE_REPORT,
            report,
            list[str],
            "write the JSON and CSV report",
            extra={"report_dir": inp.report_dir},
        )
        report = report.model_copy(update={"files": files})
        workflow.set_current_details(r.summary_markdown(report))
        return report

    async def _live_holds(
        self, holds: list[models.HoldRecord], hold_grace: timedelta
    ) -> models.LiveHolds:
        """Holds owned by running sessions of every operator. Nothing to protect without
        holds (e.g. Stripe cannot list them)."""
        if not holds:
            return models.LiveHolds()
        live: models.LiveHolds = await self._call(
            models.RECONCILE_LIVE_HOLDS,
            models.LiveHoldsInput(unbound_started_before=workflow.now() - hold_grace),
            models.LiveHolds,
            "holds of every operator's running sessions",
        )
        return live

    async def _act_on(self, m: models.Mismatch, inp: models.ReconcileInput) -> models.Mismatch:
        if m.kind != "hold_open_after_session_end" or m.authorization_id is None:
            return m
        if not inp.auto_void:
            return m.model_copy(update={"action": "report_only"})
        if not h.needs_void(m):
            return m  # deferred: a running session might own it
        try:
            await self._call(
                models.RECONCILE_VOID_HOLD,
                models.VoidHoldInput(
                    authorization_id=m.authorization_id,
                    idempotency_key=f"reconcile/{m.authorization_id}/void",
                ),
                c.VoidResult,
                f"void orphan hold {m.authorization_id}",
            )
        except ActivityError as exc:
            return m.model_copy(update={"action": f"void_failed: {exc.cause or exc}"})
        return m.model_copy(update={"action": "voided"})

    async def _charges(
        self,
        inp: models.ReconcileInput,
        start: Any,
        to: Any,
        partner_external_id: str | None = None,
    ) -> list[c.ChargeSnapshot]:
        out: list[c.ChargeSnapshot] = []
        for page_no in range(MAX_PAGES):
            page = await self._monta(
                inp,
                w.MONTA_CHARGES_PAGE,
                w.ChargesPageInput(
                    operator=inp.operator,
                    page=page_no,
                    partner_external_id=partner_external_id,
                    from_completed=None if partner_external_id else start,
                    to_completed=None if partner_external_id else to,
                ),
                w.ChargesPage,
            )
            out += page.charges
            if page.is_last:
                break
        return out

    async def _wallet(
        self, inp: models.ReconcileInput, start: Any, to: Any
    ) -> list[c.WalletTransactionSummary]:
        out: list[c.WalletTransactionSummary] = []
        for page_no in range(MAX_PAGES):
            page = await self._monta(
                inp,
                models.MONTA_WALLET_PAGE,
                models.WalletPageInput(
                    operator=inp.operator, from_date=start, to_date=to, page=page_no
                ),
                models.WalletPage,
            )
            out += page.transactions
            if page.is_last:
                break
        return out

    async def _monta(self, inp: models.ReconcileInput, name: str, arg: Any, rtype: type[T]) -> T:
        self.monta_requests += 1
        result: T = await workflow.execute_activity(
            name,
            arg,
            task_queue=inp.monta_task_queue,
            start_to_close_timeout=TIMEOUT,
            retry_policy=MONTA_RETRY,
            result_type=rtype,
        )
        return result

    async def _call(
        self,
        name: str,
        arg: Any,
        rtype: Any,
        summary: str,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        args = [arg, *extra.values()] if extra else [arg]
        return await workflow.execute_activity(
            name,
            args=args,
            start_to_close_timeout=TIMEOUT,
            retry_policy=MONTA_RETRY,
            result_type=rtype,
            summary=summary,
        )
