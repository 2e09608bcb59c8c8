"""deploy/prometheus: rule structure and metric names always; promtool when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any, get_args

import pytest
import yaml

from tests.deploy.compose_file import REPO
from workflows.contracts import SessionStateName

PROM_DIR = REPO / "deploy" / "prometheus"
# The metrics chargepay exports (docs/operations.md, Alerts, lists them).
DOCUMENTED = {
    "chargepay_sessions_total",
    "chargepay_sessions_attention_total",
    "chargepay_hold_expiring_seconds",
    "chargepay_reconciliation_mismatches_total",
    "monta_rate_limited_total",
    "chargepay_webhook_last_received_timestamp_seconds",
    "chargepay_sessions_in_state",
    "chargepay_session_state_age_seconds_max",
}
KEYWORDS = {"and", "or", "unless", "by", "on", "ignoring", "without", "bool", "offset"}
STATES = set(get_args(SessionStateName))


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((PROM_DIR / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """Series names in a PromQL expression (functions, labels and keywords removed)."""
    stripped = re.sub(r'"[^"]*"', "", expr)
    stripped = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", stripped)
    stripped = re.sub(r"\b(by|on|without|ignoring)\s*\([^)]*\)", "", stripped)
    names = re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()", stripped)
    return {n for n in names if n not in KEYWORDS}


def test_metric_name_extraction() -> None:
    expr = 'sum by (op) (rate(a_total{x="y"}[5m])) / clamp_min(b_seconds, 1e-9) > 2 and on () c'
    assert metric_names(expr) == {"a_total", "b_seconds", "c"}


def test_every_rule_is_complete() -> None:
    rules = _rules()
    assert rules
    for rule in rules:
        name = rule.get("alert")
        assert name, f"recording rules are not expected here: {rule}"
        assert rule.get("expr"), name
        assert "for" in rule, f"{name}: set `for` explicitly"
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name


def test_rules_use_only_documented_metrics_and_cover_them_all() -> None:
    used: set[str] = set()
    for rule in _rules():
        names = metric_names(rule["expr"])
        assert names <= DOCUMENTED, f"{rule['alert']}: unknown metrics {names - DOCUMENTED}"
        used |= names
    assert used == DOCUMENTED


def test_state_and_outcome_labels_are_real_session_states() -> None:
    for rule in _rules():
        for label, value in re.findall(r'(state|outcome)\s*=~?\s*"([^"]*)"', rule["expr"]):
            values = set(value.split("|"))
            assert values <= STATES, f"{rule['alert']}: {label} {values - STATES} unknown"


def test_the_required_alerts_exist() -> None:
    names = {rule["alert"] for rule in _rules()}
    for required in (
        "HoldNearExpiry",
        "SessionsFlaggedForAttention",
        "ReconciliationMismatch",
        "MontaRateLimited",
        "MontaWebhooksSilent",
        "SessionStuckBeforeCharging",
    ):
        assert required in names


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
@pytest.mark.parametrize(
    "args",
    [
        ["check", "rules", "alerts.yml"],
        ["check", "config", "prometheus.yml"],
        ["test", "rules", "alerts_test.yml"],
    ],
)
def test_promtool_accepts_rules_config_and_unit_tests(args: list[str]) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None
    done = subprocess.run(
        [promtool, *args], cwd=PROM_DIR, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
