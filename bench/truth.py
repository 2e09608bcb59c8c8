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
    "stop_latency_floor_ms": (
        "same run, same load: a bare workflow receives a client signal and starts a local "
        "activity (a session stops with a local activity on the session worker, falling back "
        "to the Monta queue); activity start - signal send, one clock, separate process"
    ),
    "stop_latency_burst_floor_ms": (
        "not the issue's: after the phase, its crossing batches (stop_bursts: the webhook "
        "batches that carried a budget-stopped charge's threshold-crossing entry, and how many "
        "each carried) replayed at the same offsets on bare workflows, one per stop, each "
        "batch's signals sent at once with one send instant; measured as the floor. Nothing "
        "else runs then, so it shows what the bursts alone cost raw Temporal"
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
        "activities, signals and timers (mean per chargepay session) with no-op bodies; run "
        "ours, bare, bare, ours and pooled per side (rounds: each pair's own ratio)"
    ),
    "webhook_ingest": (
        "entries/s accepted by POST /v1/webhooks/monta/<op> (signed batches, one entry per "
        "open session, stale snapshots so merging is a no-op; accepted = signalled + "
        "coalesced (verified, judged redundant, not signalled) + finished; webhook.signalled "
        "says how many became signals) vs plain client signals/s of the same snapshots to "
        "the same workflows, same concurrency as the API's signal gate"
    ),
    "webhook_signals_per_session": (
        "per phase: the API's chargepay_webhook_signals_total by reason (why a snapshot was "
        "news: api/webhooks/coalesce.py) over the phase, divided by its sessions; the seconds "
        "of the ingest probe are left out, and the watcher's backstop signals are not in it"
    ),
    "monta_calls_per_session": (
        "requests by chargepay's credential in the phase window / sessions (mean); max = the "
        "most requests attributable to one session by path (/charges/{id}, /charge-points/{id})"
        " + the unattributable ones shared evenly, rounded up; own_mean = the attributable ones"
        " and the starts (POST /charges) / sessions, shared_mean = the rest (watcher polls,"
        " tariff reads) / sessions"
    ),
    "worker_rss_mb_per_1000_open": (
        "(worker VmRSS at the phase's peak open sessions - VmRSS before the phase) / open * 1000"
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


def _stop_latency(
    charge: Mapping[str, Any], facts: SessionFacts, latency_s: float, time_scale: float
) -> tuple[str, float | None, float | None]:
    stops = sorted(float(t) for t in charge.get("stop_requests", []))
    last_before = None
    if stops:
        before = [float(d["t"]) for d in delivered(charge) if float(d["t"]) <= stops[0]]
        last_before = (stops[0] - before[-1]) * 1000 if before else None
    if facts.reason != "kwh_budget" or facts.kwh_budget is None:
        return "not_budget", None, last_before
    if not stops:
        return "no_stop", None, None
    cross = crossing_delivery(charge, facts.kwh_budget, latency_s, time_scale)
    if cross is None:
        return "no_crossing", None, last_before
    ms = (stops[0] - float(cross["t"])) * 1000
    return ("measured" if ms >= 0 else "early"), ms, last_before


def outcome(
    charge: Mapping[str, Any],
    facts: SessionFacts,
    hold: Mapping[str, Any],
    *,
    latency_s: float,
    time_scale: float,
    money_unit: str = "major",
) -> Outcome:
    stop_class, latency_ms, reaction_ms = _stop_latency(charge, facts, latency_s, time_scale)
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
