"""The operator CLI against the API served by uvicorn (a fake Temporal behind it): what it
sends, what it prints, its exit codes; amounts in major units become exact minor units."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from api.operator_cli import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CliError,
    main,
    to_money,
)
from api.operator_keys import create_key
from tests.api.operator_fakes import FakeTemporal, operator_app, visibility_row
from tests.support.processes import REPO, free_port
from workflows.operator_actions import OperatorAction

SID = "session-alpha-T1-tx_0001"


@dataclass
class Served:
    url: str
    key: str
    temporal: FakeTemporal


@pytest.fixture
def served(tmp_path: Path, dev_secrets: None) -> Iterator[Served]:
    temporal = FakeTemporal()
    app, settings = operator_app(tmp_path, temporal)
    _, key = create_key(settings.operator_keys_file, "alpha", "alice@example.com")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", key, temporal)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _cli(served: Served, *args: str) -> int:
    return main(["--api", served.url, "--key", served.key, "--timeout", "10", *args])


def test_capture_converts_major_units_and_prints_the_status(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    served.temporal.add(SID)
    code = _cli(
        served,
        "act", SID, "capture",
        "--amount", "12.34", "--currency", "eur",
        "--reason", "price agreed",
        "--request-id", "op-7",
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == EXIT_OK, out.err
    assert json.loads(out.out)["session_id"] == SID
    [(_, _, action, _)] = served.temporal.updates
    assert isinstance(action, OperatorAction)
    assert action.amount is not None and action.amount.amount_minor == 1234
    assert (action.action, action.request_id, action.operator_user) == (
        "capture",
        "op-7",
        "alice@example.com",
    )


def test_refusal_exits_non_zero_with_code_and_message(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    served.temporal.add(SID, refusal=("not_waiting", "the session is not waiting for an operator"))
    assert _cli(served, "act", SID, "void", "--reason", "driver left") == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "not_waiting: the session is not waiting for an operator" in err
    assert _cli(served, "act", "session-bravo-B1-tx_1", "void", "--reason", "x") == EXIT_REFUSED
    assert "forbidden" in capsys.readouterr().err


def test_flagged_lists_this_operators_running_flagged_sessions(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    served.temporal.listed = [visibility_row(SID, "capture_refused")]
    assert _cli(served, "flagged") == EXIT_OK
    assert capsys.readouterr().out.split("\t") == [SID, "settling", "capture_refused\n"]
    [query] = served.temporal.queries
    assert "Attention IS NOT NULL" in query and "ExecutionStatus = 'Running'" in query
    assert _cli(served, "flagged", "--all", "--json") == EXIT_OK
    assert json.loads(capsys.readouterr().out)[0]["session_id"] == SID
    assert "ExecutionStatus" not in served.temporal.queries[-1]


def test_usage_and_transport_errors(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    served.temporal.add(SID)
    assert _cli(served, "act", SID, "capture", "--amount", "1.5", "--reason", "x") == EXIT_USAGE
    assert main(["--api", served.url, "status", SID]) == EXIT_USAGE  # no key
    bad_key = ["--api", served.url, "--key", "cpk_x_y", "status", SID]
    assert main(bad_key) == EXIT_REFUSED
    assert "unauthorized" in capsys.readouterr().err
    dead = f"http://127.0.0.1:{free_port()}"
    code = main(["--api", dead, "--key", served.key, "act", SID, "resolve", "--reason", "x"])
    assert code == EXIT_UNREACHABLE
    assert "--request-id cli-" in capsys.readouterr().err
    assert served.temporal.updates == []


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.34", "EUR", 1234), ("0.1", "EUR", 10), ("1000", "JPY", 1000), ("1.234", "KWD", 1234)],
)
def test_to_money_is_exact(amount: str, currency: str, minor: int) -> None:
    assert to_money(amount, currency).amount_minor == minor


@pytest.mark.parametrize("amount", ["12.345", "-1", "0", "NaN", "Infinity", "1e400x", "abc"])
def test_to_money_refuses_what_needs_rounding_or_is_no_amount(amount: str) -> None:
    with pytest.raises(CliError):
        to_money(amount, "EUR")


def test_runs_as_a_module(served: Served) -> None:
    served.temporal.add(SID)
    done = subprocess.run(
        [sys.executable, "-m", "api.operator_cli", "--api", served.url, "status", SID],
        cwd=REPO,
        env={"CHARGEPAY_OPERATOR_KEY": served.key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "settling"
