"""worker.py refuses to start, with a clear message, on a bad Monta credential or scope."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.envfile import read_env_file
from tests.support.monta_emulator import MontaEmulator, monta_emulator
from tests.support.processes import REPO, free_port

pytestmark = pytest.mark.timeout(120)

LIMITED = """
[operators.alpha]
name = "Alpha (read-only credential)"
monta_client_id = "limited-client"
client_secret_env = "CHARGEPAY_LIMITED_SECRET"
default_paying_team_id = 1001
"""


@pytest.fixture(scope="module")
def monta(log_dir: Path) -> Iterator[MontaEmulator]:
    with monta_emulator(log_dir) as emu:
        yield emu


def _run_worker(monta: MontaEmulator, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        **read_env_file(),
        "PATH": "/usr/bin:/bin",
        "CHARGEPAY_MONTA_BASE_URL": monta.base_url,
        "CHARGEPAY_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # never reached
        "CHARGEPAY_METRICS_PORT": "0",
        "CHARGEPAY_SDK_METRICS_ADDRESS": "",
        **env,
    }
    argv = [sys.executable, "worker.py"]
    return subprocess.run(argv, cwd=REPO, env=full, capture_output=True, text=True, timeout=60)


def test_bad_credential_stops_the_worker(monta: MontaEmulator) -> None:
    done = _run_worker(monta, CHARGEPAY_ALPHA_CLIENT_SECRET="wrong-secret")
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "cannot start" in out and "alpha" in out and "client id and secret" in out


def test_missing_required_scope_stops_the_worker(monta: MontaEmulator, tmp_path: Path) -> None:
    operators = tmp_path / "operators.toml"
    operators.write_text(LIMITED)
    done = _run_worker(
        monta,
        CHARGEPAY_OPERATORS_FILE=str(operators),
        CHARGEPAY_LIMITED_SECRET="limited-secret-change-me",
    )
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "cannot start" in out and "required" in out


def test_monta_and_temporal_hiccups_at_start_are_retried(monta: MontaEmulator) -> None:
    """Two 5xx on the scope check and an unreachable Temporal do not crash the worker: it
    retries both, and a SIGTERM while it waits ends it cleanly."""
    monta.set_faults(http=[{"operation": "get-current-consumer", "kind": "5xx", "count": 2}])
    env = {
        **read_env_file(),
        "PATH": "/usr/bin:/bin",
        "CHARGEPAY_MONTA_BASE_URL": monta.base_url,
        "CHARGEPAY_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nobody listens
        "CHARGEPAY_METRICS_PORT": "0",
        "CHARGEPAY_SDK_METRICS_ADDRESS": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if "connect to Temporal" in line and "retrying" in line:
                break
        out = "".join(seen)
        assert proc.poll() is None, out  # still running: it did not give up
        assert out.count("scope check failed") == 2, out
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
    fired = monta.faults()
    monta.set_faults(http=[])
    assert "gave up on shutdown" in rest
    assert fired["fired"].get("get-current-consumer:5xx") == 2, fired
