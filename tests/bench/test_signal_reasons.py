"""The bench's reading of the API's signal counters (pure parts)."""

from __future__ import annotations

from bench.signal_reasons import parse, per_session, spent

TEXT = """# HELP chargepay_webhook_signals_total Webhook snapshots signalled
# TYPE chargepay_webhook_signals_total counter
chargepay_webhook_signals_total{operator="alpha",reason="interval"} 7.0
chargepay_webhook_signals_total{operator="bravo",reason="interval"} 3.0
chargepay_webhook_signals_total{operator="alpha",reason="first"} 2.0
chargepay_webhook_signals_created{operator="alpha",reason="first"} 1.7e9
# TYPE chargepay_webhook_entries_total counter
chargepay_webhook_entries_total{operator="alpha",outcome="signalled"} 12.0
"""


def test_signals_are_summed_over_operators_by_reason() -> None:
    assert parse(TEXT) == {"interval": 10.0, "first": 2.0}
    assert parse("# nothing signalled yet\n") == {}


def test_only_the_windows_around_the_probe_count() -> None:
    t0, probe_start = {"first": 1.0}, {"first": 5.0, "interval": 2.0}
    probe_end, t1 = {"first": 105.0, "interval": 2.0}, {"first": 106.0, "interval": 10.0}
    counts = spent([(t0, probe_start), (probe_end, t1)])
    assert counts == {"interval": 10.0, "first": 5.0}
    assert per_session(counts, 4) == {"interval": 2.5, "first": 1.25}
    assert per_session(counts, 0) == {}
