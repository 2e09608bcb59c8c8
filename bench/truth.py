"""Per-session figures from the emulators' ground truth (pure: dicts in, numbers out).

The Monta emulator's truth gives, per charge, its meter samples `{t, kwh}`, every webhook
delivery of an entry `{t, consumedKwh, state, status}` (t = when the batch was POSTed), the
instants stop requests arrived, the final consumedKwh/price and the hard cap `kwhLimit`.
The acquirer's truth gives each hold's amount and captures. chargepay's own view is used
only for the session's kWh budget and stop reason (its inputs, not its measurements).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.money import MoneyUnit, currency_decimals, from_monta_amount

KWH_MATCH = 1e-4  # webhook payloads round consumedKwh to 4 decimals

DEFINITIONS = {
    "stop_latency_ms": (
        "per session that chargepay stopped for its kWh budget: (first stop request received "
        "by the Monta emulator, as its HTTP middleware first sees it) - (the threshold-crossing "
        "webhook: the first webhook entry for "
        "that charge sent (first attempt, any answer) whose consumedKwh >= kwh_budget - P * "
        "stop_delivery_latency_s / 3600, P = the charge's power between its last two meter "
        "samples up to that reading, i.e. chargepay's own stop rule); t of a delivery = when "
        "the emulator POSTed the batch. Classes: measured; early = the stop came before any "
        "crossing webhook (the session's own GET saw it first); not_budget = stopped for "
        "another reason (e.g. Monta's hard cap kwhLimit ended it first: chargepay was late)"
    ),
    "stop_latency_from_meter_ms": (
        "the same sessions as stop_latency_ms, from the instant the emulator's meter read the "
        "crossing entry's consumedKwh (its meter sample t) to the same stop arrival: adds "
        "Monta's batching wait (up to one webhook interval) to stop_latency_ms"
    ),
    "stop_latency_floor_ms": (
        "same run, same load, same phase window, no chargepay logic: the bench POSTs a signed "
        "webhook batch (as many entries as the phase's Monta batches had carried on average "
        "when the probe started, all readings of one fresh charge of its own, so the API "
        "must signal it: floor_probe.entries_per_post beside monta_batch_entries) to the "
        "same nginx, which "
        "hands it to one of the same API replicas; the API verifies, parses, coalesces and "
        "signals a bare workflow (bench/hook_bare.py HookFloor, on its own worker process "
        "with the same worker options) whose signal handler starts a local activity that "
        "sends one HTTP stop request to the same Monta emulator. Latency = the stop's "
        "arrival in the emulator's request log - the instant the POST left; the POSTs go "
        "out at a steady rate over the phase, not in the phase's bursts"
    ),
    "stop_latency_vs_floor": (
        "per phase: stop_latency_ms p99 / stop_latency_floor_ms p99 of the same phase"
    ),
    "overshoot_kwh": "final consumedKwh (Monta truth, completed) - the session's kWh budget",
    "beyond_hard_cap": "sessions whose final consumedKwh exceeded the kwhLimit sent to Monta",
    "budget_used_ratio": (
        "captured / authorized (acquirer truth), sessions stopped for their kWh or price budget"
    ),
    "uncollected_minor_total": (
        "sum over sessions of max(0, final Monta price - authorized hold), minor units"
    ),
    "throughput": (
        "closed loop, same concurrency and count: completed sessions / wall seconds from the "
        "first start to the last completion; baseline = bare workflows doing the same "
        "activities, signals and timers (mean per chargepay session) with no-op bodies, their "
        "signals delivered as signed webhook batches through the same nginx and API replicas "
        "(batched on Monta's wall cadence, every entry signalled, a refused batch sent again "
        "with the next as Monta redelivers) as chargepay's are; their "
        "starts are client starts (no HTTP route starts a bare workflow). Run ours, bare, "
        "bare, ours and pooled per side (rounds: each pair's own ratio)"
    ),
    "cpu_ms_per_session": (
        "throughput run, per completed session and side: CPU ms of every process by role "
        "(/proc utime+stime, children included): workers (chargepay's, or the bare ones), "
        "api (every replica), nginx, temporal (dev server), emulators (Monta, acquirer: "
        "stand-ins for services that run elsewhere), driver (the bench process)"
    ),
    "webhook_ingest": (
        "every entry must be signalled: fresh, newer readings near the cap of charges of "
        "bare sink workflows (session-<op>-benchsink-*, bench/hook_bare.py HookSink) POSTed "
        "as signed batches through nginx to the API replicas (api_signals_per_s = signals "
        "the API acknowledged / seconds) vs the same snapshots sent as client signals to "
        "the same workflows with as many in flight as the API's gates allow "
        "(raw_signals_per_s); legs webhook, raw, raw, webhook pooled per side, each side "
        ">= 10 s; phases pooled; entries_signalled_share says how many entries were signalled"
    ),
    "webhook_signals_per_session": (
        "per phase: the API replicas' chargepay_webhook_signals_total by reason (why a "
        "snapshot was news: api/webhooks/coalesce.py; 'interval' = the view would lag Monta "
        "by CHARGEPAY_VIEW_MAX_LAG_S) over the phase, summed over replicas, divided by its "
        "sessions; the ingest probe's seconds are left out and the floor probe's signals "
        "(all 'first') subtracted; the watcher's backstop signals are not in it"
    ),
    "view_signals_per_session": (
        "the headline phases' webhook_signals_per_session pooled: the signal cost per session "
        "of keeping each session's view within CHARGEPAY_VIEW_MAX_LAG_S (view_max_lag_s, "
        "emulated seconds) of Monta, total and by reason"
    ),
    "loadavg": "os.getloadavg() (1, 5, 15 min) at the phase's start and end: other users",
    "cpu": (
        "per phase, from the floor probe's start (after the ingest) until every session was "
        "final: machine_cores_busy (from /proc/stat), cores_by_role (each of the run's "
        "processes with its children, CPU s / wall s, by role as cpu_ms_per_session, the "
        "floor probe apart) and other_cores = the rest: other users of the shared machine"
    ),
    "monta_calls_per_session": (
        "requests by chargepay's credential in the phase window / sessions (mean); max = the "
        "most requests attributable to one session by path (/charges/{id}, /charge-points/{id})"
        " + the unattributable ones shared evenly, rounded up; own_mean = the attributable ones"
        " and the starts (POST /charges) / sessions, shared_mean = the rest (watcher polls,"
        " tariff reads) / sessions"
    ),
    "worker_rss_mb_per_1000_open": (
        "(worker VmRSS summed over the worker processes at the phase's peak open sessions - "
        "the same before the phase) / open * 1000; informative only: a heap that grows from "
        "phase to phase, not the issue's slope (rss_mb_per_1000_open, full run, not built)"
    ),
    "history_events_per_session": "fetch_history() length of the session's last run (sample)",
}


@dataclass(frozen=True)
class SessionFacts:
    """What the bench knows about a session beside ground truth (from its workflow result)."""

    session_id: str
    kind: str  # "ac" | "dc"
    hold_id: str
    state: str
    reason: str | None
    kwh_budget: Decimal | None


@dataclass(frozen=True)
class Outcome:
    session_id: str
    kind: str
    stop_class: str  # measured | early | no_stop | no_crossing | not_budget
    stop_latency_ms: float | None
    stop_latency_from_meter_ms: float | None  # from the crossing reading's meter instant
    reaction_ms: float | None  # stop - last 2xx delivery before it
    overshoot_kwh: float | None
    beyond_hard_cap: bool
    ran_to_budget: bool
    budget_used_ratio: float | None
    uncollected_minor: int


def power_kw(meter: Sequence[Mapping[str, Any]], kwh: float, time_scale: float) -> float | None:
    """The charge's power when it read `kwh`: slope between that meter sample and the last
    earlier one with less energy (the same rule chargepay's merge applies)."""
    idx = next((i for i, m in enumerate(meter) if abs(float(m["kwh"]) - kwh) <= KWH_MATCH), None)
    if idx is None:
        return None
    here = meter[idx]
    for prev in reversed(meter[:idx]):
        if float(prev["kwh"]) < float(here["kwh"]) - KWH_MATCH:
            hours = (float(here["t"]) - float(prev["t"])) * time_scale / 3600
            return (float(here["kwh"]) - float(prev["kwh"])) / hours if hours > 0 else None
    return None


def delivered(charge: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every delivery attempt, in order: an attempt the emulator saw fail (5 s timeout, 503)
    may still have reached the session, so the first attempt is when chargepay could know."""
    rows = list(charge.get("webhook_deliveries", []))
    return sorted(rows, key=lambda d: float(d["t"]))


def crossing_delivery(
    charge: Mapping[str, Any], kwh_budget: Decimal, latency_s: float, time_scale: float
) -> Mapping[str, Any] | None:
    """The first delivery attempt of an entry whose reading reaches the stop threshold."""
    meter = charge.get("meter", [])
    for d in delivered(charge):
        kwh = d.get("consumedKwh")
        if kwh is None or d.get("state") != "charging":
            continue
        kw = power_kw(meter, float(kwh), time_scale) or 0.0
        if float(kwh) + kw * latency_s / 3600 >= float(kwh_budget):
            return d
    return None


def price_minor(charge: Mapping[str, Any], money_unit: str = "major") -> int:
    cur = str(charge["currency"]).upper()
    unit: MoneyUnit = "minor" if money_unit == "minor" else "major"
    return from_monta_amount(str(charge["price"]), currency_decimals(cur), unit)


def meter_time(charge: Mapping[str, Any], kwh: float) -> float | None:
    """When the emulator's meter first read `kwh` (the reading a delivery carried)."""
    for m in charge.get("meter", []):
        if abs(float(m["kwh"]) - kwh) <= KWH_MATCH:
            return float(m["t"])
    return None


def _stop_latency(
    charge: Mapping[str, Any], facts: SessionFacts, latency_s: float, time_scale: float
) -> tuple[str, float | None, float | None, float | None]:
    stops = sorted(float(t) for t in charge.get("stop_requests", []))
    last_before = None
    if stops:
        before = [float(d["t"]) for d in delivered(charge) if float(d["t"]) <= stops[0]]
        last_before = (stops[0] - before[-1]) * 1000 if before else None
    if facts.reason != "kwh_budget" or facts.kwh_budget is None:
        return "not_budget", None, None, last_before
    if not stops:
        return "no_stop", None, None, None
    cross = crossing_delivery(charge, facts.kwh_budget, latency_s, time_scale)
    if cross is None:
        return "no_crossing", None, None, last_before
    ms = (stops[0] - float(cross["t"])) * 1000
    read_at = meter_time(charge, float(cross["consumedKwh"]))
    from_meter = None if read_at is None else (stops[0] - read_at) * 1000
    return ("measured" if ms >= 0 else "early"), ms, from_meter, last_before


def outcome(
    charge: Mapping[str, Any],
    facts: SessionFacts,
    hold: Mapping[str, Any],
    *,
    latency_s: float,
    time_scale: float,
    money_unit: str = "major",
) -> Outcome:
    stop_class, latency_ms, from_meter, reaction_ms = _stop_latency(
        charge, facts, latency_s, time_scale
    )
    final = float(charge["consumedKwh"])
    budget = facts.kwh_budget
    limit = charge.get("kwhLimit")
    authorized = int(hold["amount_minor"])
    captured = sum(int(c["amount_minor"]) for c in hold.get("captures", []))
    ran = facts.reason in ("kwh_budget", "price_budget")
    return Outcome(
        session_id=facts.session_id,
        kind=facts.kind,
        stop_class=stop_class,
        stop_latency_ms=latency_ms,
        stop_latency_from_meter_ms=from_meter if stop_class == "measured" else None,
        reaction_ms=reaction_ms,
        overshoot_kwh=None if budget is None else final - float(budget),
        beyond_hard_cap=limit is not None and final > float(limit) + KWH_MATCH,
        ran_to_budget=ran,
        budget_used_ratio=captured / authorized if ran and authorized else None,
        uncollected_minor=max(0, price_minor(charge, money_unit) - authorized),
    )


def outcomes(
    charges: Iterable[Mapping[str, Any]],
    facts: Mapping[str, SessionFacts],
    holds: Mapping[str, Mapping[str, Any]],
    *,
    latency_s: float,
    time_scale: float,
    money_unit: str = "major",
) -> list[Outcome]:
    """One Outcome per session of `facts` that has a Monta charge and a hold."""
    out = []
    for charge in charges:
        f = facts.get(str(charge.get("partnerExternalId")))
        if f is None or f.hold_id not in holds:
            continue
        out.append(
            outcome(
                charge,
                f,
                holds[f.hold_id],
                latency_s=latency_s,
                time_scale=time_scale,
                money_unit=money_unit,
            )
        )
    return out
