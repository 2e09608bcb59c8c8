"""Property-based fuzzing of the whole OpenAPI with schemathesis: every check it offers
passes (0 server errors, documented statuses and headers, ...), but one excluded below
with its reason.

The API runs as a process (python -m api) against the Temporal dev server, the Monta
emulator (quotes) and a stand-in session workflow; schemathesis runs every operation,
authenticated, through its examples, coverage, fuzzing and stateful phases.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.operator_keys import create_key as create_operator_key
from ledger.db import make_engine
from ledger.migrate import upgrade as upgrade_ledger
from tests.api.standin import StandInSession
from tests.api.support import DEV_ENV, new_key
from tests.support.monta_emulator import monta_emulator
from tests.support.processes import python_server
from tests.support.temporal import start_dev_server

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")


# positive_data_acceptance (ST202) expects every schema-valid request to be accepted. Some
# are refused by rules OpenAPI cannot state: a budget under 1 kWh, a hold above the operator's
# limit, a currency other than the point's (422 `rejected`), a page token this API never
# issued (422 `invalid_request`), an action a session does not accept now (409). Those
# answers are the contract; every other check schemathesis offers runs.
EXCLUDED_CHECKS = "positive_data_acceptance"


async def _schemathesis(api_url: str, key: str, cwd: Path, *scope: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        SCHEMATHESIS, "run", f"{api_url}/openapi.json",
        "--header", f"Authorization: Bearer {key}",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--checks", "all",
        "--exclude-checks", EXCLUDED_CHECKS,
        "--max-examples", "25",
        "--seed", "20261123",
        "--request-timeout", "30",
        "--workers", "1",
        *scope,
        cwd=cwd,  # its example database stays out of the repo
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


@pytest_asyncio.fixture
async def own_temporal() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of the fuzz test's own: on the suite's shared one the operator routes
    would meet other tests' sessions, whose workers are gone, and answer them with 503s."""
    env = await start_dev_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.mark.timeout(900)
async def test_openapi_fuzz_has_no_server_errors(
    own_temporal: WorkflowEnvironment, log_dir: Path, tmp_path: Path
) -> None:
    """Every operation with a terminal key, then the operator routes with an operator key
    (with a terminal key they only ever answer 401)."""
    temporal_env = own_temporal
    keys_file = tmp_path / "keys.json"
    operator_keys = tmp_path / "operator_keys.json"
    key = new_key(keys_file, "FUZZ1", [101, 102, 106, 999])
    _, operator_key = create_operator_key(operator_keys, "alpha", "fuzz@example.com")
    task_queue = f"fuzz-{uuid.uuid4().hex[:8]}"
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"  # migrated, as the worker would
    ledger = make_engine(ledger_url)
    upgrade_ledger(ledger)
    ledger.dispose()
    with monta_emulator(log_dir, time_scale=60) as monta:
        env = {
            **{k: v for k, v in DEV_ENV.items() if k.endswith("_SECRET") or k.endswith("SECRETS")},
            "CHARGEPAY_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
            "CHARGEPAY_SESSION_TASK_QUEUE": task_queue,
            "CHARGEPAY_TERMINAL_KEYS_FILE": str(keys_file),
            "CHARGEPAY_OPERATOR_KEYS_FILE": str(operator_keys),
            "CHARGEPAY_MONTA_BASE_URL": monta.url,
            "CHARGEPAY_API_START_WAIT_S": "2",
            "CHARGEPAY_API_RETENTION_CHECK": "off",
            "CHARGEPAY_LEDGER_URL": ledger_url,
            "CHARGEPAY_RECEIPT_LINK_SECRETS": "fuzz-receipt-link-secret-of-32-chars-or-more",
        }
        with python_server(
            ["-m", "api", "--port", "{port}"],
            env=env,
            health_path="/healthz",
            log_dir=log_dir,
            name="api-fuzz",
        ) as api:
            async with Worker(
                temporal_env.client, task_queue=task_queue, workflows=[StandInSession]
            ):
                terminal = await _schemathesis(api.url, key, tmp_path)
                operator = await _schemathesis(
                    api.url,
                    operator_key,
                    tmp_path,
                    "--include-path-regex",
                    "^/v1/(operator/|sessions/[^/]+/refunds)",
                )
    for name, (code, report) in {"terminal": terminal, "operator": operator}.items():
        (log_dir / f"schemathesis-api-{name}.log").write_text(report)
        assert code == 0, f"{name} key:\n{report[-6000:]}"
        assert "passed" in report.lower()
